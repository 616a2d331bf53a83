// Admission: turns an operator's proposal into a candidate row. Checks the change (no
// path through a symlink, the edit rules), lays it over the parent's files, computes its
// diff and hash, flags what looks like gaming, drops duplicates, and commits what may be
// evaluated. Every proposal gets exactly one row, whatever becomes of it.
import { unifiedDiff } from '../workspace/diff.js';
import type { FileSet } from '../core/types.js';
import { suspiciousFlags } from '../evaluate/suspicious.js';
import type { ProposalResult } from '../operators/operator.js';
import type { CandidateRecord, NewCandidate, RunRecord, Store } from '../store/store.js';
import type { Workspace } from '../workspace/workspace.js';
import { checkChanges, type EditRules } from './edit-rules.js';
import type { NoveltyFilter } from './novelty.js';
import { changeHash } from './patch-hash.js';

export interface AdmissionDeps {
  store: Store;
  run: RunRecord;
  workspace: Pick<Workspace, 'readBase' | 'symlinkOnPath' | 'commit'>;
  rules: EditRules;
  /** Paths a patch is suspicious for mentioning (the verifier's). */
  protectedPaths: string[];
  /** `novelty.threshold`: near-duplicates of earlier candidates are rejected before evaluation. */
  novelty?: NoveltyFilter;
}

/** A parent of the child: its id, commit and full change against the base. */
export interface AdmissionParent {
  id: number;
  commitSha: string;
  files: FileSet;
}

/** Where a child comes from: its parents, primary first, and the island it belongs to (null: none). */
export interface Lineage {
  parents: AdmissionParent[];
  island: number | null;
}

/** The change is laid over the primary parent's files and committed on its commit; every parent is recorded (`parents`, primary first). */
export type Admit = (from: Lineage, operator: string, proposal: ProposalResult) => Promise<CandidateRecord>;

/** A pending row comes back committed (commitSha and ref set); any other status is final. */
export function admission(d: AdmissionDeps): Admit {
  const readFile = async (parent: AdmissionParent, p: string) => parent.files[p] ?? (await d.workspace.readBase(p));
  return async ({ parents, island }, operator, proposal) => {
    const { store, run, workspace } = d;
    const { cost } = proposal;
    const parent = parents[0];
    const base = {
      runId: run.id,
      parentId: parent.id,
      parents: parents.map((p) => p.id),
      island,
      operator,
      model: proposal.model,
      tokensIn: cost?.tokensIn,
      tokensOut: cost?.tokensOut,
      usd: cost?.usd,
      style: proposal.style,
    };
    // Every candidate row of a proposal gets its model calls linked, whatever its status.
    const insert = (row: NewCandidate) => {
      const c = store.insertCandidate(row);
      cost?.link(c.id);
      return c;
    };
    if ('error' in proposal) {
      return insert({
        ...base,
        status: 'invalid',
        reason: proposal.error,
        description: proposal.description ?? '',
        files: parent.files,
        changeHash: '',
        patch: '',
      });
    }
    const originals: FileSet = {};
    for (const p of Object.keys(proposal.changes)) {
      const content = await readFile(parent, p);
      if (content !== undefined) originals[p] = content;
    }
    const viaSymlink = Object.keys(proposal.changes)
      .map((p) => [p, workspace.symlinkOnPath(p)] as const)
      .find(([, link]) => link !== undefined);
    const check: ReturnType<typeof checkChanges> = viaSymlink
      ? {
          ok: false,
          reason: `${viaSymlink[0]} goes through the symlink ${viaSymlink[1]}, which could lead out of the worktree; edit the file it points to instead`,
        }
      : checkChanges(proposal.changes, (p) => originals[p], d.rules);
    const files = await overlay(workspace, parent.files, proposal.changes);
    const patch = unifiedDiff(originals, proposal.changes);
    const hash = changeHash(files);
    // An operator that never saw the verifier's feedback (tune) cannot special-case it.
    const feedback = proposal.blind ? [] : feedbackOf(store, parent.id);
    const flags = suspiciousFlags({ patch, feedback, protectedPaths: d.protectedPaths, parentFiles: Object.values(originals) });
    const row = { ...base, description: proposal.description, files, changeHash: hash, patch, flags };
    if (!check.ok) return insert({ ...row, status: 'invalid', reason: check.reason });
    if (patch === '') return insert({ ...row, status: 'duplicate', reason: 'no change: the proposal equals its parent' });
    const same = store.findByChangeHash(run.id, hash);
    if (same !== undefined) return insert({ ...row, status: 'duplicate', reason: `same change as candidate ${same}` });
    const novel = await d.novelty?.check(files, island, parents);
    if (novel?.duplicateOf) return insert({ ...row, status: 'duplicate', reason: novel.duplicateOf.reason, flags: [...flags, 'near-duplicate'] });
    const candidate = insert({ ...row, status: 'pending' });
    if (novel) d.novelty!.add(candidate.id, island, novel.signature);
    const ref = `refs/evoloop/${run.id}/candidates/${candidate.id}`;
    const commitSha = workspace.commit(files, parent.commitSha, `${proposal.description}\n\nEvoloop-Run: ${run.id}\nEvoloop-Candidate: ${candidate.id}`, ref);
    store.updateCandidate(candidate.id, { commitSha, ref });
    return { ...candidate, commitSha, ref };
  };
}

/** Whether `changes` laid over the parent repeat a change already in the run (the parent's own included): an operator asks before proposing. */
export async function changeTaken(
  d: Pick<AdmissionDeps, 'store' | 'run'> & { workspace: Pick<Workspace, 'readBase'> },
  parent: Pick<AdmissionParent, 'files'>,
  changes: FileSet,
): Promise<boolean> {
  return d.store.findByChangeHash(d.run.id, changeHash(await overlay(d.workspace, parent.files, changes))) !== undefined;
}

/** The child's full change against the base: the parent's, with the proposal on top, minus files back at base. */
async function overlay(workspace: Pick<Workspace, 'readBase'>, parentFiles: FileSet, changes: FileSet): Promise<FileSet> {
  const files: FileSet = { ...parentFiles };
  for (const [p, content] of Object.entries(changes)) {
    if ((await workspace.readBase(p)) === content) delete files[p];
    else files[p] = content;
  }
  return Object.fromEntries(Object.entries(files).sort(([a], [b]) => a.localeCompare(b)));
}

/** What the verifier told the proposer about a candidate (never holdout output). */
function feedbackOf(store: Store, candidateId: number): string[] {
  return store
    .measurements(candidateId)
    .filter((m) => m.kind !== 'holdout')
    .flatMap((m) => [m.feedback ?? '', m.stdoutTail, m.stderrTail])
    .filter(Boolean);
}
