// A search strategy: who may be a parent, who survives, and how a child is judged. The
// engine asks it for parents, hands it each admitted child, and stops when its best score
// reaches the target; everything else (incumbents, racing, re-measuring, alarms) is its own.
import type { Config } from '../config/schema.js';
import type { EvaluationBackend } from '../evaluate/backend.js';
import type { EvolutionEvent } from '../engine/events.js';
import type { ParentView } from '../operators/operator.js';
import type { CandidateRecord, RunRecord, Store } from '../store/store.js';
import type { Workspace } from '../workspace/workspace.js';

/** A parent as an operator sees it, plus the commit its child is built on. */
export interface Parent extends ParentView {
  commitSha: string;
}

export interface Population {
  /** Measures the baseline, or restores the population from the store on resume. False when stopped before the baseline was measured. */
  start(): Promise<boolean>;
  /** The parents of the next child, primary first (one for greedy; crossover takes two). */
  select(random: () => number): Parent[];
  /** Measures a pending child and records its decision; undefined when it was abandoned (kept pending for resume). */
  consider(child: CandidateRecord): Promise<CandidateRecord | undefined>;
  /** The best score so far (for budget.target); undefined before the baseline. */
  best(): number | undefined;
}

export interface PopulationDeps {
  config: Config;
  store: Store;
  run: RunRecord;
  workspace: Pick<Workspace, 'baseCommit' | 'problemDir' | 'setRef' | 'baseFiles' | 'readBase'>;
  backend: EvaluationBackend;
  emit: (e: EvolutionEvent) => void;
  /** Aborted when in-flight work is abandoned (kill). */
  signal: AbortSignal;
}
