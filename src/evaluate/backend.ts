// The seam between "what to measure" and "where it runs". A candidate is described by
// what can cross a process or machine boundary (ids, commits, its files against the base),
// never by a local worktree, so a remote backend is another implementation of this one
// interface. The local pool is the first (backends/local.ts).
import type { FileSet } from '../core/types.js';
import type { Failure, Measured } from './evaluator.js';

export interface CandidateSpec {
  runId: string;
  candidateId: number;
  baseCommit: string;
  /** The candidate's commit (the base commit for the baseline). */
  commitSha: string;
  /** Its full change against the base (every file that differs). */
  files: FileSet;
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
}

export function describeFailure(f: Failure): string {
  return `${f.kind} in stage ${f.stage}: ${f.message}`;
}
