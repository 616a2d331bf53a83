// The local backend: a pooled worktree per measurement, filled with the candidate's files,
// and the Evaluator with its containment (protected-file integrity, git's host config, the
// worktree audit). The only place that construction exists; the run and reverify share it.
import path from 'node:path';
import { compileObjective } from '../../core/fitness.js';
import type { FileSet } from '../../core/types.js';
import { protectedBy, type EditRules } from '../../propose/edit-rules.js';
import type { Workspace } from '../../workspace/workspace.js';
import { checkVerifier, verifierDigest, type BackendDeps, type CandidateSpec, type EvaluationBackend, type MeasurePlan } from '../backend.js';
import { Evaluator, type Measured } from '../evaluator.js';
import { HostGuard } from '../host-guard.js';
import { IntegrityGuard } from '../integrity.js';
import { storeRecorder, type MeasurementRecorder } from '../recorder.js';

/** A backend records into the store; a remote worker (distributed/worker.ts) hands its results back through a recorder of its own. */
export type LocalDeps = BackendDeps | (Omit<BackendDeps, 'store'> & { recorder: MeasurementRecorder });

export class LocalBackend implements EvaluationBackend {
  private readonly evaluator: Evaluator;
  readonly verifierDigest: string;

  constructor(private readonly opts: LocalDeps) {
    const { workspace, runId } = opts;
    const stateDir = path.join(workspace.problemDir, '.evoloop');
    const dirs = opts.dirs ?? { scratch: runId, protected: runId };
    this.evaluator = new Evaluator({
      config: opts.config,
      runId,
      recorder: 'recorder' in opts ? opts.recorder : storeRecorder(opts.store, opts.config.artifacts.run_mb * 1024 * 1024),
      objective: compileObjective(opts.config.objective),
      stateDir,
      scratchDir: path.join(stateDir, 'scratch', dirs.scratch),
      signal: opts.signal,
      guard: IntegrityGuard.create(opts.protectedFiles, workspace.baseFiles(), path.join(stateDir, 'protected', dirs.protected)),
      hostGuard: HostGuard.create(workspace.repo.commonDir),
      worktreeAudit: (wt) => workspace.audit(wt),
      worktreeBytes: (wt) => workspace.takeAllocated(wt),
      judge: opts.judge,
      modelRun: opts.modelRun,
    });
    this.verifierDigest = verifierDigest(opts.protectedFiles, opts.config.verifier);
  }

  get protectedPaths(): string[] {
    return this.evaluator.protectedPaths;
  }

  async measure(candidate: CandidateSpec, plan: MeasurePlan): Promise<Measured> {
    checkVerifier(candidate, this.verifierDigest);
    const { workspace } = this.opts;
    const wt = await workspace.acquire();
    try {
      workspace.materialize(wt, { ...candidate.files, ...this.opts.overlay });
      return await this.evaluator.measure(candidate.candidateId, wt, plan.repeats, plan.kinds, plan.epoch);
    } finally {
      workspace.release(wt);
    }
  }
}

/** The protected files as the base commit has them. */
export async function baseProtectedFiles(workspace: Workspace, rules: EditRules): Promise<FileSet> {
  const files: FileSet = {};
  for (const p of workspace.baseFiles().filter((f) => protectedBy(f, rules) !== undefined)) {
    files[p] = (await workspace.readBase(p)) ?? '';
  }
  return files;
}
