// The run's bandits over how proposals are made (core/bandit.ts): which operator, which model
// (its `weight` as the prior), which prompt style, and on islands which island gets the next
// proposal (islands that are improving get more, AdaEvolve's idea). Each decided candidate row
// is one pull of the arms it names, and a win when it improved: accepted and, when its parent's
// score is known, better than its parent (a simplification's gain is its size: accepted is a
// win). Under greedy that is acceptance; on a MAP-Elites
// island a child enters an empty cell however poor it is, and counting that as a win would feed
// the operators and islands that fill cells rather than those that climb. A row's win depends on
// that row and its parent's score only, so the same rows rebuild the same state, in any order,
// on resume and in `status`.
import { MIGRATE_OPERATOR } from '../population/population.js';
import { SIMPLIFY_OPERATOR } from '../population/racing.js';
import { Bandit, type ArmStats } from '../core/bandit.js';
import { improvement } from '../core/fitness.js';
import type { Goal } from '../core/types.js';
import type { IslandChooser } from '../population/islands/island-choice.js';
import type { CandidateRecord } from '../store/store.js';
import { STYLE_NAMES } from './styles.js';

export type Outcome = Pick<CandidateRecord, 'operator' | 'model' | 'style' | 'status' | 'usd' | 'island' | 'parentId' | 'score'>;

/** How to tell whether a child beat its parent. */
export interface Improvement {
  goal: Goal;
  /** A recorded candidate's score (null or undefined: none). */
  scoreOf: (id: number) => number | null | undefined;
}

export interface BanditStats {
  operators: ArmStats[];
  models: ArmStats[];
  styles: ArmStats[];
  islands: ArmStats[];
}

export class ProposalBandits {
  readonly operators: Bandit;
  readonly models: Bandit;
  readonly styles: Bandit;
  readonly islands: Bandit;

  /** `operators` and `models`: name → weight, as configured; `islands`: how many (0 without islands). */
  constructor(
    operators: Record<string, number>,
    models: Record<string, number>,
    private readonly improvement: Improvement,
    islands = 0,
  ) {
    this.operators = new Bandit(operators);
    this.models = new Bandit(models);
    this.styles = new Bandit(Object.fromEntries(STYLE_NAMES.map((s) => [s, 1])));
    this.islands = new Bandit(Object.fromEntries(Array.from({ length: islands }, (_, i) => [String(i), 1])));
  }

  /** The islands strategy's choice: among the islands with the fewest proposals in flight (so parallel stays spread), the island bandit's pick. */
  readonly chooseIsland: IslandChooser = (loads, random) => {
    const least = Math.min(...loads.map((l) => l.inFlight));
    const open = loads.filter((l) => l.inFlight === least).map((l) => String(l.island));
    return Number(this.islands.choose(random, open));
  };

  /** Counts a candidate row; the baseline and candidates still pending are no pull. */
  observe(c: Outcome): void {
    if (c.operator === 'baseline' || c.operator === MIGRATE_OPERATOR || c.status === 'pending') return;
    const outcome = { win: this.improved(c), usd: c.usd };
    this.operators.record(c.operator, outcome);
    if (c.model) this.models.record(c.model, outcome);
    if (c.style) this.styles.record(c.style, outcome);
    if (c.island !== null) this.islands.record(String(c.island), outcome);
  }

  private improved(c: Outcome): boolean {
    if (c.status !== 'accepted') return false;
    if (c.operator === SIMPLIFY_OPERATOR) return true;
    const parent = c.parentId === null ? undefined : this.improvement.scoreOf(c.parentId);
    return parent == null || c.score === null || improvement(c.score, parent, this.improvement.goal) > 0;
  }

  stats(): BanditStats {
    return { operators: this.operators.stats(), models: this.models.stats(), styles: this.styles.stats(), islands: this.islands.stats() };
  }
}

/** The bandits of a recorded run, rebuilt from its config and candidate rows (for `status`). */
export function recordedBandits(
  rows: (Outcome & { id: number })[],
  config: {
    objective?: { goal?: Goal };
    operators?: Record<string, number>;
    model?: { provider: string; name: string; weight?: number };
    models?: { provider: string; name: string; weight?: number }[];
  },
  defaults: { withModel: Record<string, number> },
): ProposalBandits {
  const models = config.models ?? (config.model ? [config.model] : []);
  // A strategy's migrant copies were not proposed by any operator: no arm, no pull.
  const seen = Object.fromEntries(rows.filter((r) => r.operator !== 'baseline' && r.operator !== MIGRATE_OPERATOR).map((r) => [r.operator, 1]));
  const operators = config.operators ?? (models.length > 0 ? defaults.withModel : seen);
  const islands = Math.max(0, ...rows.map((r) => (r.island ?? -1) + 1));
  const scores = new Map(rows.map((r) => [r.id, r.score]));
  const bandits = new ProposalBandits(
    operators,
    Object.fromEntries(models.map((m) => [`${m.provider}:${m.name}`, m.weight ?? 1])),
    { goal: config.objective?.goal ?? 'maximize', scoreOf: (id) => scores.get(id) },
    islands,
  );
  for (const r of rows) bandits.observe(r);
  return bandits;
}
