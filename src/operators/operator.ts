// The one interface every way of proposing a child implements (tune, llm-diff,
// llm-rewrite, agent). Operators propose; they never run the verifier.
import type { FileSet, Metrics, Proposal, ProposalCost } from '../core/types.js';

// Part of the operator contract; defined in core/ so that llm/ (the model gateway) can throw it too.
export { StopProposing } from '../core/errors.js';

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
  /** The strategy's parents, primary first: one for greedy, two for a crossover strategy. */
  parents: ParentView[];
  /** The primary parent's content of a file (its change, else the base), undefined if absent. */
  readFile(path: string): Promise<string | undefined>;
  /** Files the proposer may change (problem-relative), as the primary parent has them. */
  editableFiles: string[];
  /** This operator's earlier outcomes in this run. */
  history: OperatorOutcome[];
  /** Deterministic per candidate, so a resumed run proposes reproducibly. */
  random: () => number;
  /** Aborts when in-flight work is abandoned (kill). */
  signal: AbortSignal;
  /** Aborts when the run stops proposing (graceful stop): ends waits such as a paused model. */
  stopping: AbortSignal;
}

/** An error result may still say what was attempted (`description`), for the lessons. */
export type ProposalResult = (Proposal | { error: string; operator: string; model?: string; description?: string }) & { cost?: ProposalCost };

export interface Operator {
  readonly name: string;
  propose(ctx: OperatorContext): Promise<ProposalResult>;
}
