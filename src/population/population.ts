// A search strategy: who may be a parent, who survives, and how a child is judged. The
// engine asks it for parents, hands it each admitted child, and stops when its best score
// reaches the target; everything else (incumbents, racing, re-measuring, alarms) is its own.
import type { Config } from '../config/schema.js';
import { improvement } from '../core/fitness.js';
import type { Goal } from '../core/types.js';
import type { EvaluationBackend } from '../evaluate/backend.js';
import type { EvolutionEvent } from '../engine/events.js';
import type { Inspiration, ParentView } from '../operators/operator.js';
import type { CandidateRecord, RunRecord, Store } from '../store/store.js';
import type { Workspace } from '../workspace/workspace.js';
import type { IslandChooser } from './islands/island-choice.js';

/** A parent as an operator sees it, plus the commit its child is built on. */
export interface Parent extends ParentView {
  commitSha: string;
}

/** The operator of a strategy's copy of an elite onto another island: not a proposal, so it spends no candidate budget. */
export const MIGRATE_OPERATOR = 'migrate';

/** The operator whose children are judged as simplifications. */
export const SIMPLIFY_OPERATOR = 'llm-simplify';

/**
 * Whether a decided child improved, for the bandits and an operator's self-adaptation (tune's
 * 1/5th rule): accepted, and on an island also better than its parent, since there a child
 * enters an empty cell (or the island's best K) however it compares with its parent. A
 * simplification's gain is its size: accepted is enough. `parentScore` undefined: not known.
 */
export function improvedOnParent(
  c: Pick<CandidateRecord, 'status' | 'operator' | 'score' | 'island'>,
  parentScore: number | null | undefined,
  goal: Goal,
): boolean {
  if (c.status !== 'accepted') return false;
  if (c.island === null || c.operator === SIMPLIFY_OPERATOR || parentScore == null || c.score === null) return true;
  return improvement(c.score, parentScore, goal) > 0;
}

/** What the population gives one proposal: its parents, inspirations and island. */
export interface Selection {
  /** Primary first, as many as asked for. */
  parents: Parent[];
  inspirations: Inspiration[];
  /** The island the child belongs to (null: the strategy has none). */
  island: number | null;
}

/** The population cannot give what the operator needs (e.g. two distinct non-ancestor parents): the proposal is skipped. */
export interface NoSelection {
  skip: string;
}

export interface Population {
  /** Measures the baseline, or restores the population from the store on resume. False when stopped before the baseline was measured. */
  start(): Promise<boolean>;
  /** The parents of the next child (`count` of them, distinct, neither an ancestor of the other), or why there are none. */
  select(random: () => number, count: 1 | 2): Selection | NoSelection;
  /** The proposal made from a selection is over, whatever became of it (skipped before admission, invalid, duplicate, decided). */
  release?(selection: Selection): Promise<void> | void;
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
  /** Which island a proposal goes to (islands strategy); default: the fewest in flight. A bandit over islands plugs in here. */
  chooseIsland?: IslandChooser;
}
