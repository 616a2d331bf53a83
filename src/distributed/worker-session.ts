// What a worker needs before it measures a coordinator's candidates: the run's base commit in
// its clone (fetched from origin with --fetch) and the same verifier, by digest over the
// protected files at that commit and the verifier stages of this clone's evoloop.yaml. Then a
// local backend per run (the same worktree pool, Evaluator, sandbox and limits as a local run)
// whose results go back through the job instead of into a store.
import path from 'node:path';
import { findConfigFile, loadConfigFile } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { StageResult } from '../core/types.js';
import { verifierDigest } from '../evaluate/backend.js';
import { baseProtectedFiles, LocalBackend } from '../evaluate/backends/local.js';
import type { MeasurementRecorder } from '../evaluate/recorder.js';
import type { EditRules } from '../propose/edit-rules.js';
import type { StageArtifacts } from '../store/artifacts.js';
import { git, repoInfo } from '../workspace/git.js';
import { Workspace } from '../workspace/workspace.js';
import type { CoordinatorInfo } from './protocol.js';

/** Where one job's stage results go while it runs (the job's progress, then its result). */
export interface JobRecorder {
  recorded: StageResult[];
  record(result: StageResult, artifacts?: StageArtifacts): void;
}

export class WorkerSession {
  private readonly backends = new Map<string, LocalBackend>();
  /** Jobs running now, by candidate and epoch (a coordinator waits for one job per candidate at a time). */
  readonly jobs = new Map<string, JobRecorder>();

  private constructor(
    readonly baseCommit: string,
    readonly digest: string,
    private readonly config: Config,
    private readonly workspace: Workspace,
    private readonly protectedFiles: Record<string, string>,
    private readonly signal: AbortSignal,
  ) {}

  /** Prepares for a coordinator's run, or says why this clone cannot serve it (the refusal, in words). */
  static async prepare(
    problemDir: string,
    info: Pick<CoordinatorInfo, 'runId' | 'baseCommit' | 'verifierDigest'>,
    opts: { fetch: boolean; poolSize: number; signal: AbortSignal },
  ): Promise<WorkerSession | { refused: string }> {
    const repo = await repoInfo(problemDir);
    const short = info.baseCommit.slice(0, 12);
    if (!(await hasCommit(repo.root, info.baseCommit)) && opts.fetch) {
      await git(repo.root, ['fetch', '--quiet', 'origin'], { allowFail: true });
      if (!(await hasCommit(repo.root, info.baseCommit))) await git(repo.root, ['fetch', '--quiet', 'origin', info.baseCommit], { allowFail: true });
    }
    if (!(await hasCommit(repo.root, info.baseCommit))) {
      return {
        refused: `this clone does not have run ${info.runId}'s base commit ${short}${opts.fetch ? ' (not even after fetching from origin)' : ''}. Fix: push it and run \`git fetch\` here, or start the worker with --fetch.`,
      };
    }
    const configFile = findConfigFile(problemDir);
    const config = loadConfigFile(configFile);
    const rules: EditRules = { edit: config.edit, protect: config.protect, alwaysProtected: [path.relative(problemDir, configFile)] };
    const workspace = await Workspace.open({ problemDir, baseCommit: info.baseCommit, poolSize: opts.poolSize, pool: 'worker-worktrees' });
    const protectedFiles = await baseProtectedFiles(workspace, rules);
    const digest = verifierDigest(protectedFiles, config.verifier);
    if (digest !== info.verifierDigest) {
      return {
        refused: `run ${info.runId} measures with verifier ${info.verifierDigest.slice(0, 12)}, but this clone's is ${digest.slice(0, 12)} (its protected files at ${short} or the verifier stages of its evoloop.yaml differ). Fix: use the coordinator's evoloop.yaml and verifier files here.`,
      };
    }
    return new WorkerSession(info.baseCommit, digest, config, workspace, protectedFiles, opts.signal);
  }

  /** The backend measuring run `runId`'s candidates, scored by the coordinator's objective. */
  backendFor(runId: string, objective: Config['objective']): LocalBackend {
    let backend = this.backends.get(runId);
    if (!backend) {
      const recorder: MeasurementRecorder = {
        recorded: (candidateId, epoch) => this.jobs.get(jobKey(candidateId, epoch))?.recorded ?? [],
        record: (candidateId, epoch, result, artifacts) => this.jobs.get(jobKey(candidateId, epoch))?.record(result, artifacts),
      };
      backend = new LocalBackend({
        config: { ...this.config, objective },
        runId,
        recorder,
        workspace: this.workspace,
        signal: this.signal,
        protectedFiles: this.protectedFiles,
      });
      this.backends.set(runId, backend);
    }
    return backend;
  }
}

export const jobKey = (candidateId: number, epoch: number) => `${candidateId}:${epoch}`;

async function hasCommit(root: string, sha: string): Promise<boolean> {
  return (await git(root, ['cat-file', '-e', `${sha}^{commit}`], { allowFail: true })).code === 0;
}
