// `llm-rewrite`: the model rewrites one editable file whole, or only its EVOLVE-BLOCK region(s).
import { parseRewrite } from '../../propose/rewrite.js';
import { proposeWithModel, type ModelOperatorDeps, type ReplyParser } from '../model-operator.js';
import type { Operator, OperatorContext, ProposalResult } from '../operator.js';

export function llmRewrite(deps: ModelOperatorDeps): Operator {
  return {
    name: 'llm-rewrite',
    async propose(ctx): Promise<ProposalResult> {
      const target = await llmRewriteTarget(ctx);
      if (!target) return { operator: 'llm-rewrite', error: 'no editable file exists to rewrite; check the `edit` globs' };
      return proposeWithModel(deps, ctx, 'llm-rewrite', { kind: 'rewrite', path: target.path }, rewriteOf(target), { styled: true });
    },
  };
}

/** The reply as the new content of `target` (whole, or its EVOLVE-BLOCK regions). */
export function rewriteOf(target: { path: string; content: string }): ReplyParser {
  return async (reply) => {
    const parsed = parseRewrite(reply, target.path, target.content, true);
    return 'error' in parsed ? parsed : { changes: { [target.path]: parsed.content } };
  };
}

/** One editable file, files with EVOLVE-BLOCK markers first (that is where the user wants change). */
export async function llmRewriteTarget(ctx: OperatorContext): Promise<{ path: string; content: string } | undefined> {
  const files: { path: string; content: string }[] = [];
  for (const p of ctx.editableFiles) {
    const content = await ctx.readFile(p);
    if (content !== undefined) files.push({ path: p, content });
  }
  const marked = files.filter((f) => f.content.includes('EVOLVE-BLOCK-START'));
  const pool = marked.length > 0 ? marked : files;
  return pool.length === 0 ? undefined : pool[Math.floor(ctx.random() * pool.length)];
}
