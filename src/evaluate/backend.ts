// The seam between "what to measure" and "where it runs". A candidate is described by
// what can cross a process or machine boundary (ids, commits, its files against the base),
// never by a local worktree, so a remote backend is another implementation of this one
// interface. The local pool is the first (backends/local.ts); backends/registry.ts names them.
// Results are recorded through evaluate/recorder.ts whichever backend ran the stage.
import { createHash } from 'node:crypto';
import type { Config } from '../config/schema.js';
import type { FileSet } from '../core/types.js';
import type { Store } from '../store/store.js';
import type { Workspace } from '../workspace/workspace.js';
import type { Failure, Measured } from './evaluator.js';
import type { Judge } from './judge/judge.js';
import type { ModelRun } from './model-run/model-run.js';

export interface CandidateSpec {
  runId: string;
  candidateId: number;
  baseCommit: string;
  /** The candidate's commit (the base commit for the baseline). */
  commitSha: string;
  /** Its full change against the base (every file that differs). */
  files: FileSet;
  /** The verifier the engine expects it measured with (verifierDigest); a backend whose verifier differs refuses the candidate. */
  verifierDigest: string;
}

export interface MeasurePlan {
  /** gate+score stages (the search) or holdout stages (champions only). */
  kinds: 'search' | 'holdout';
  /** Measure repeats [0, repeats); ones already recorded are reused. */
  repeats: number;
  /** 0 for the run; reverification epochs run with fresh seeds. */
  epoch?: number;
}

export interface EvaluationBackend {
  /** Runs the plan's stages and returns one objective sample per repeat; each stage result is recorded in the store as it finishes. */
  measure(candidate: CandidateSpec, plan: MeasurePlan): Promise<Measured>;
  /** The protected paths the verifier is checked against (what a patch must not mention without suspicion). */
  readonly protectedPaths: string[];
  /** The digest of the verifier this backend measures with, computed once; every spec of the run carries it. */
  readonly verifierDigest: string;
  /** Lets go of what the backend holds beyond the run (connections); measurements in flight elsewhere stay there. */
  close?(): Promise<void>;
}

/** What every backend is built from (backends/registry.ts). */
export interface BackendDeps {
  config: Config;
  runId: string;
  /** Where results are recorded (through evaluate/recorder.ts). */
  store: Store;
  workspace: Workspace;
  /** Aborts in-flight stages (kill); their candidates stay pending for resume. */
  signal: AbortSignal;
  /** The protected files every stage is checked against: the base's for a run, the current verifier's for reverify. */
  protectedFiles: FileSet;
  /** Grades `kind: judge` stages (evaluate/judge/judge.ts); only where the judge model's key is. */
  judge?: Judge;
  /** Calls the model of `model_run` stages (evaluate/model-run/); only where that model's key is. */
  modelRun?: ModelRun;
  /** Written over every candidate's files (reverify puts the current verifier in place). */
  overlay?: FileSet;
  /** Folder names under .evoloop/: scratch/ and protected/ (the run id unless reverifying). */
  dirs?: { scratch: string; protected: string };
  /** Tells the user something about where candidates are measured (an outage, a worker that refused). */
  notice?: (message: string) => void;
  /** The `redis` backend: the queue's URL and how many candidates the coordinator also measures itself. */
  redis?: { url: string; localSlots: number };
}

/** A hash of the protected files' content and the verifier config (a function stage by its source): equal digests, same verifier. */
export function verifierDigest(protectedFiles: FileSet, verifier: Config['verifier']): string {
  const hash = createHash('sha256');
  for (const p of Object.keys(protectedFiles).sort()) hash.update(`${JSON.stringify(p)}\0${protectedFiles[p]}\0`);
  hash.update(JSON.stringify(verifier, (_key, v: unknown) => (typeof v === 'function' ? v.toString() : v)));
  return hash.digest('hex');
}

/** Refuses a candidate described for another verifier than the one `digest` names. */
export function checkVerifier(candidate: CandidateSpec, digest: string): void {
  if (candidate.verifierDigest !== digest) {
    throw new Error(
      `candidate ${candidate.candidateId} was described for verifier ${candidate.verifierDigest.slice(0, 12)}, but this backend measures with ${digest.slice(0, 12)}; refusing to measure it with another verifier.`,
    );
  }
}

export function describeFailure(f: Failure): string {
  return `${f.kind} in stage ${f.stage}: ${f.message}`;
}
