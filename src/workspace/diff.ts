// Diffs of candidates, in one place: a change as a unified diff of two file sets (what the
// store keeps as a candidate's patch against its parent), and a candidate's whole change
// against the run's base commit. It lives in workspace/ because the base is a git commit the
// workspace owns: the store keeps only the candidate's files, never the base's.
import path from 'node:path';
import { createTwoFilesPatch } from 'diff';
import type { FileSet } from '../core/types.js';
import { git } from './git.js';

/** Where a run's base lives: the repository, the problem folder inside it, and the commit. */
export interface BaseRef {
  repoRoot: string;
  problemDir: string;
  baseCommit: string;
}

/** Every file of `after` that differs from `before`, as one unified diff (paths a/… b/…, /dev/null for new files). */
export function unifiedDiff(before: FileSet, after: FileSet): string {
  return Object.keys(after)
    .sort()
    .filter((p) => before[p] !== after[p])
    .map((p) =>
      createTwoFilesPatch(before[p] === undefined ? '/dev/null' : `a/${p}`, `b/${p}`, before[p] ?? '', after[p], undefined, undefined, { context: 3 })
        .split('\n')
        .slice(1)
        .join('\n'),
    )
    .join('');
}

/**
 * A candidate's whole change against the base, from its overlay (`files`: every file that
 * differs from the base) and the base content in git; works for candidates never committed.
 */
export async function diffAgainstBase(base: BaseRef, files: FileSet): Promise<{ patch: string } | { error: string }> {
  const before = await baseContents(base, Object.keys(files));
  return 'error' in before ? before : { patch: unifiedDiff(before.files, files) };
}

/** From one candidate's program to another's (each an overlay over the base): the dashboard's compare view. */
export async function diffBetween(base: BaseRef, from: FileSet, to: FileSet): Promise<{ patch: string } | { error: string }> {
  const only = [...new Set([...Object.keys(from), ...Object.keys(to)])].filter((p) => from[p] === undefined || to[p] === undefined);
  const shared = await baseContents(base, only);
  if ('error' in shared) return shared;
  return { patch: unifiedDiff({ ...shared.files, ...from }, { ...shared.files, ...to }) };
}

/** The base's content of these files (a file the base does not have is left out). */
async function baseContents(base: BaseRef, files: string[]): Promise<{ files: FileSet } | { error: string }> {
  const prefix = path.relative(base.repoRoot, base.problemDir).split(path.sep).filter(Boolean).join('/');
  const before: FileSet = {};
  for (const file of files) {
    const repoPath = prefix ? `${prefix}/${file}` : file;
    const shown = await git(base.repoRoot, ['show', `${base.baseCommit}:${repoPath}`], { allowFail: true }).catch((err: Error) => ({
      code: -1,
      stdout: '',
      stderr: err.message,
    }));
    if (shown.code === 0) before[file] = shown.stdout;
    else if (!/does not exist|exists on disk, but not in/.test(shown.stderr)) {
      return { error: `the base content is not available from ${base.repoRoot} (${shown.stderr.trim().split('\n')[0]})` };
    }
  }
  return { files: before };
}

/**
 * `git diff --relative <base> <commit>` of a committed candidate, as git prints it (what `evoloop diff` shows):
 * paths relative to the problem folder, like the config's globs and `evoloop show`.
 */
export async function gitDiffAgainstBase(problemDir: string, baseCommit: string, commitSha: string): Promise<string> {
  return (await git(problemDir, ['diff', '--relative', baseCommit, commitSha])).stdout;
}
