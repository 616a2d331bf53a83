// The base commit of a new run: HEAD, or a snapshot commit of the uncommitted files the run
// depends on when the user allows it.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../core/errors.js';
import { changedPaths, git, repoInfo } from './git.js';
import { ObjectWriter } from './git-objects.js';

/**
 * The base of a new run: HEAD, refusing uncommitted changes to files that matter
 * (editable or protected), or — with allowDirty — a snapshot commit of them on top of HEAD.
 */
export async function resolveBase(
  problemDir: string,
  matters: (problemPath: string) => boolean,
  allowDirty: boolean,
): Promise<{ baseCommit: string; repoRoot: string; snapshot: string[] }> {
  const repo = await repoInfo(problemDir);
  const prefix = repo.prefix ? `${repo.prefix}/` : '';
  const dirty = (await changedPaths(repo.root, repo.prefix)).map((p) => p.slice(prefix.length)).filter((p) => !p.startsWith('.evoloop/') && matters(p));
  if (dirty.length === 0) return { baseCommit: repo.head, repoRoot: repo.root, snapshot: [] };
  if (!allowDirty) {
    const list = dirty.slice(0, 10).join(', ') + (dirty.length > 10 ? `, … (${dirty.length} in all)` : '');
    throw new UsageError(
      `uncommitted changes to files the run depends on: ${list}. Fix: commit them (git add -A && git commit), or pass --allow-dirty to run from a snapshot of the current files.`,
    );
  }
  const objects = await ObjectWriter.open(repo.root, repo.commonDir, repo.head);
  const files: Record<string, string | null> = {};
  for (const p of dirty) {
    const abs = path.join(problemDir, p);
    files[`${prefix}${p}`] = existsSync(abs) ? readFileSync(abs, 'utf8') : null; // null: deleted in the checkout
  }
  // Dated like HEAD, so the same uncommitted state always gives the same base (and a finished run can go on).
  const headTime = Number((await git(repo.root, ['show', '-s', '--format=%ct', repo.head])).stdout.trim());
  const sha = objects.writeCommit(objects.writeTree(files), [repo.head], `evoloop: snapshot of uncommitted changes\n\n${dirty.join('\n')}`, headTime);
  return { baseCommit: sha, repoRoot: repo.root, snapshot: dirty };
}
