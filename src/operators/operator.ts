// The one interface every way of proposing a child implements (tune, llm-diff,
// llm-rewrite, agent). Operators propose; they never run the verifier.
import type { FileSet, Metrics, Proposal } from '../core/types.js';

export interface ParentView {
  id: number;
  score: number | null;
  metrics: Metrics | null;
  /** The parent's full change against the base (every file that differs). */
  files: FileSet;
}

/** One earlier outcome of this operator in this run, oldest first (for self-adaptation). */
export interface OperatorOutcome {
  candidateId: number;
  status: string;
  /** Whether the child became the champion. */
  improved: boolean;
}

export interface OperatorContext {
  runId: string;
  candidateId?: number;
  parent: ParentView;
  /** The parent's content of a file (its change, else the base), undefined if absent. */
  readFile(path: string): Promise<string | undefined>;
  /** Files the proposer may change (problem-relative), as the parent has them. */
  editableFiles: string[];
  /** This operator's earlier outcomes in this run. */
  history: OperatorOutcome[];
  /** Deterministic per candidate, so a resumed run proposes reproducibly. */
  random: () => number;
  signal: AbortSignal;
}

export type ProposalResult = Proposal | { error: string; operator: string; model?: string };

export interface Operator {
  readonly name: string;
  propose(ctx: OperatorContext): Promise<ProposalResult>;
}
