// `llm-diff`: the model answers with SEARCH/REPLACE blocks, possibly for several files.
import { normalizeRelPath } from '../../propose/edit-rules.js';
import { applyEdits, parseSearchReplace } from '../../propose/search-replace.js';
import { proposeWithModel, type ModelOperatorDeps, type ReplyParser } from '../model-operator.js';
import type { Operator } from '../operator.js';

export function llmDiff(deps: ModelOperatorDeps): Operator {
  return {
    name: 'llm-diff',
    propose: (ctx) => proposeWithModel(deps, ctx, 'llm-diff', { kind: 'diff' }, parseDiff, { styled: true }),
  };
}

/** Reads every file the blocks name (parent's content, else the base), then applies them in order. */
export const parseDiff: ReplyParser = async (reply, ctx) => {
  const parsed = parseSearchReplace(reply);
  if ('error' in parsed) return parsed;
  const defaultPath = ctx.editableFiles.length === 1 ? ctx.editableFiles[0] : undefined;
  const contents = new Map<string, string | undefined>();
  for (const p of [defaultPath, ...parsed.blocks.map((b) => b.path)]) {
    if (p === undefined) continue;
    const norm = normalizeRelPath(p);
    if ('path' in norm && !contents.has(norm.path)) contents.set(norm.path, await ctx.readFile(norm.path));
  }
  return applyEdits((p) => contents.get(p), parsed.blocks, defaultPath);
};
