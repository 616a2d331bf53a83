// A run's refs in your repository: its base (refs/evoloop/<run>/base), every candidate
// (refs/evoloop/<run>/candidates/<id>) and champion (refs/evoloop/<run>/champions/<id>), all out
// of `git branch`, and one branch, evoloop/<run>/best, that moves to each new champion: a run
// of 1,000 champions leaves one branch, not 1,000. `evoloop gc` prunes them.
import { git } from './git.js';
import type { Workspace } from './workspace.js';

/** The run's moving branch (short name, for `git switch`). */
export function bestBranch(runId: string): string {
  return `evoloop/${runId}/best`;
}

export function championRef(runId: string, candidateId: number): string {
  return `refs/evoloop/${runId}/champions/${candidateId}`;
}

/** Records a new champion: its ref, and the run's best branch moved onto it. */
export function recordChampion(workspace: Pick<Workspace, 'setRef'>, runId: string, candidateId: number, commitSha: string): void {
  workspace.setRef(championRef(runId, candidateId), commitSha);
  workspace.setRef(`refs/heads/${bestBranch(runId)}`, commitSha);
}

/**
 * The run's refs `evoloop gc` removes: every ref under refs/evoloop/<run>/ and every old-style
 * champion branch (evoloop/<run>/<id>) except the base, the best branch and the refs of `keep`
 * (the champion, candidates still pending). Branches `apply` made (evoloop/<run>/best-<id>) are yours.
 */
export async function prunableRefs(repoRoot: string, runId: string, keep: number[]): Promise<string[]> {
  const listed = await git(repoRoot, ['for-each-ref', '--format=%(refname)', `refs/evoloop/${runId}/`, `refs/heads/evoloop/${runId}/`]);
  const kept = new Set([
    `refs/evoloop/${runId}/base`,
    `refs/heads/${bestBranch(runId)}`,
    ...keep.flatMap((id) => [`refs/evoloop/${runId}/candidates/${id}`, championRef(runId, id)]),
  ]);
  return listed.stdout
    .split('\n')
    .filter(Boolean)
    .filter((ref) => !kept.has(ref) && (ref.startsWith('refs/evoloop/') || /^refs\/heads\/evoloop\/[^/]+\/\d+$/.test(ref)));
}

/** Deletes refs in one `git update-ref --stdin` transaction (loose and packed alike). */
export async function deleteRefs(repoRoot: string, refs: string[]): Promise<void> {
  if (refs.length === 0) return;
  await git(repoRoot, ['update-ref', '--stdin'], { input: refs.map((r) => `delete ${r}\n`).join('') });
}
