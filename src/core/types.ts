// Domain types shared by every module. This file imports nothing of ours.

/** Named numbers a verifier reported. */
export type Metrics = Record<string, number>;

export type Goal = 'maximize' | 'minimize';

/**
 * Where a candidate is in its life.
 * - pending: proposed, not yet evaluated (or interrupted mid-evaluation; resumed later)
 * - baseline: the unmodified base commit, measured first
 * - accepted: became the champion when it was decided
 * - rejected: evaluated fine but not a real improvement
 * - failed: the verifier said no (gate failed, crash, timeout, bad metrics)
 * - invalid: the proposal could not become a candidate (bad edit, protected path, parse error)
 * - duplicate: same change as one already evaluated in this run
 * - tampered: the candidate changed a protected file while it ran
 */
export type CandidateStatus = 'pending' | 'baseline' | 'accepted' | 'rejected' | 'failed' | 'invalid' | 'duplicate' | 'tampered';

/** Why a stage, and so a candidate, failed. Recorded verbatim in the store. */
export type FailureKind =
  | 'timeout'
  | 'crash'
  | 'signal'
  | 'no-metrics'
  | 'bad-metrics'
  /** The same metric reported twice with different values (e.g. echoed candidate output). */
  | 'ambiguous-metrics'
  | 'missing-objective'
  | 'gate-failed'
  | 'output-limit'
  | 'memory-limit'
  | 'process-limit'
  /** Wrote past disk_mb into its worktree and scratch folder, or filled the sandbox's /tmp (tmp_mb). */
  | 'disk-limit'
  | 'tampered'
  | 'spawn-error';

/** A candidate's files: path (relative to the problem folder, `/` separated) → full content. */
export type FileSet = Record<string, string>;

/** The outcome of one run of one verifier stage. */
export interface StageResult {
  stage: string;
  kind: StageKind;
  repeat: number;
  seed: number;
  ok: boolean;
  failure?: { kind: FailureKind; message: string };
  metrics: Metrics;
  feedback?: string;
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  stdoutTail: string;
  stderrTail: string;
  /** The machine that ran it (a worker's host name, or this one's). */
  host?: string;
}

export type StageKind = 'gate' | 'score' | 'holdout';

/** What an operator hands back: the child's new content for each file it changed. */
export interface Proposal {
  operator: string;
  description: string;
  /** Changed files only, full new content; relative to the problem folder. */
  changes: FileSet;
  model?: string;
  /** The prompt style the model was asked in (operators/styles.ts). */
  style?: string;
  /** The operator did not see the verifier's feedback (tune): nothing it adds special-cases it. */
  blind?: boolean;
}

/** Model spend behind a proposal, and how to link its recorded model calls to the candidate row. */
export interface ProposalCost {
  tokensIn: number;
  tokensOut: number;
  usd: number;
  /** Called once the candidate row exists (whatever its status). */
  link(candidateId: number): void;
}

/** Per-call accounting of a model call, as the store keeps it. */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  usd: number;
}

/** One model call as the store keeps it: what was asked, what came back, what it cost. */
export interface LlmCallRecord {
  runId: string;
  candidateId: number | null;
  provider: string;
  model: string;
  operator: string | null;
  prompt: string;
  response: string | null;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  usd: number;
  latencyMs: number | null;
  attempts: number;
  error: string | null;
}
