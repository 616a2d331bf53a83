// The one interface every way of proposing a child implements (tune, llm-diff,
// llm-rewrite, agent). Operators propose; they never run the verifier.
import type { FileSet, Goal, Metrics, Proposal, ProposalCost } from '../core/types.js';

// Part of the operator contract; defined in core/ so that llm/ (the model gateway) can throw it too.
export { StopProposing } from '../core/errors.js';

export interface ParentView {
  id: number;
  score: number | null;
  metrics: Metrics | null;
  /** The parent's full change against the base (every file that differs). */
  files: FileSet;
}

/** An elite the strategy shows the proposer for ideas (another cell, rarely another island), never built on. */
export interface Inspiration extends ParentView {
  /** Its island (null: the run has none). */
  island: number | null;
  description: string;
}

/** One earlier outcome of this operator in this run, oldest first (for self-adaptation). */
export interface OperatorOutcome {
  candidateId: number;
  status: string;
  /** Whether the child improved: accepted, and on an island better than its parent (population.ts improvedOnParent). */
  improved: boolean;
  /** Its score signed so that higher is better (the score when maximizing, minus it when minimizing); null when it was not measured or failed. */
  fitness: number | null;
  /** Its full change against the base (what cmaes and bayes read their literal values from). */
  files(): FileSet;
  /** Its primary parent's full change against the base (what tune reads the step it took from); absent where no parent is known. */
  parentFiles?(): FileSet;
}

export interface OperatorContext {
  runId: string;
  /** The strategy's parents, primary first: as many as the operator's `parents` asks for. */
  parents: ParentView[];
  /** A few elites from other cells (rarely other islands) with their scores, for the prompt; empty for greedy. */
  inspirations: Inspiration[];
  /** The child's island (null: the strategy has none); what the prompt shows of the run stays on it. */
  island: number | null;
  /** The primary parent's content of a file (its change, else the base), undefined if absent. */
  readFile(path: string): Promise<string | undefined>;
  /** A file as the base commit has it, undefined if absent. */
  readBase(path: string): Promise<string | undefined>;
  /** Whether these changes (path → new content) over the primary parent repeat a change already in the run, the parent's own included. */
  taken(changes: FileSet): Promise<boolean>;
  /** Files the proposer may change (problem-relative), as the primary parent has them. */
  editableFiles: string[];
  /** This operator's earlier outcomes in this run (empty unless it declares `readsHistory`). */
  history: OperatorOutcome[];
  /** Which way the objective goes (a parent's `score` is the objective's value). */
  goal: Goal;
  /** The verifier's noise as measured on the baseline's repeats: a robust SD (1.4826·MAD) in objective units, 0 when they agree. */
  noiseSd: number;
  /** Deterministic per candidate, so a resumed run proposes reproducibly. */
  random: () => number;
  /** Aborts when in-flight work is abandoned (kill). */
  signal: AbortSignal;
  /** Aborts when the run stops proposing (graceful stop): ends waits such as a paused model. */
  stopping: AbortSignal;
}

/** An error result may still say what was attempted (`description`), for the lessons. */
export type ProposalResult = (Proposal | { error: string; operator: string; model?: string; description?: string; style?: string }) & { cost?: ProposalCost };

/** The problem as the base commit has it, for an operator to say what it will do. */
export interface ProblemView {
  editableFiles: string[];
  readBase(path: string): Promise<string | undefined>;
}

/**
 * Thrown by an operator whose every draw repeated a change already in the run: no candidate
 * is recorded and the candidate budget is not spent; it counts against patience.
 */
export class NothingNew extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'NothingNew';
  }
}

export interface Operator {
  readonly name: string;
  /**
   * How many parents it combines (default 1). The engine picks the operator first and asks the
   * population for this many distinct parents, neither an ancestor of the other; a population
   * that cannot give them (greedy, or an island with one elite) skips the proposal.
   */
  readonly parents?: 1 | 2;
  /** It reads `history` (its earlier outcomes): the engine keeps a run's outcomes only for operators that do, so a model run's memory does not grow with its candidates. */
  readonly readsHistory?: true;
  propose(ctx: OperatorContext): Promise<ProposalResult>;
  /** What it will do in this problem, told once when a run starts (tune: the literals it moves and their ranges). */
  describe?(problem: ProblemView): Promise<string | undefined>;
}
