// code_size: the bytes of a program's editable files (the base's, with a candidate's changes
// laid over). llm-simplify is accepted only when it goes down; `status` shows it per champion.
import path from 'node:path';
import type { FileSet } from '../core/types.js';
import { isEditable, type EditRules } from '../propose/edit-rules.js';
import { git } from './git.js';

export interface BaseProgram {
  /** Every file of the base commit in the problem folder (problem-relative). */
  baseFiles(): string[];
  readBase(p: string): Promise<string | undefined>;
}

export async function codeSize(files: FileSet, base: BaseProgram, rules: Pick<EditRules, 'edit' | 'protect'>): Promise<number> {
  const editable = { ...rules, alwaysProtected: [] };
  let bytes = 0;
  for (const p of new Set([...base.baseFiles(), ...Object.keys(files)])) {
    if (!isEditable(p, editable)) continue;
    const content = p in files ? files[p] : await base.readBase(p);
    if (content !== undefined) bytes += Buffer.byteLength(content);
  }
  return bytes;
}

/** The base program of a recorded run, read from git (for views such as `status`). */
export async function recordedBase(run: { repoRoot: string; problemDir: string; baseCommit: string }): Promise<BaseProgram> {
  const prefix = path.relative(run.repoRoot, run.problemDir).split(path.sep).join('/');
  const listed = await git(run.repoRoot, ['ls-tree', '-r', '--name-only', run.baseCommit, '--', prefix || '.'], { allowFail: true });
  const files = listed.code === 0 ? listed.stdout.split('\n').filter(Boolean) : [];
  const strip = prefix ? `${prefix}/` : '';
  const cache = new Map<string, string | undefined>();
  return {
    baseFiles: () => files.map((f) => f.slice(strip.length)),
    readBase: async (p) => {
      if (!cache.has(p)) {
        const r = await git(run.repoRoot, ['cat-file', 'blob', `${run.baseCommit}:${strip}${p}`], { allowFail: true });
        cache.set(p, r.code === 0 ? r.stdout : undefined);
      }
      return cache.get(p);
    },
  };
}
