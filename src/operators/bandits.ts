// The run's bandits over how proposals are made (core/bandit.ts): which operator, which model
// (its `weight` as the prior), which prompt style, and on islands which island gets the next
// proposal (islands that are improving get more, AdaEvolve's idea). Each decided candidate row
// is one pull of the arms it names, and a win when it improved (population.ts improvedOnParent:
// accepted, and on an island better than its parent, so children that only fill empty cells do
// not feed the operators and islands that make them). A row's win depends on that row and its
// parent's score only, so the same rows rebuild the same state, in any order, on resume and in
// `status`.
import { improvedOnParent, MIGRATE_OPERATOR } from '../population/population.js';
import { Bandit, type ArmStats } from '../core/bandit.js';
import type { Goal } from '../core/types.js';
import type { IslandChooser } from '../population/islands/island-choice.js';
import type { CandidateRecord } from '../store/store.js';
import { STYLE_NAMES } from './styles.js';

/** A decided candidate row, and whether it improved (improvedOnParent). */
export type Outcome = Pick<CandidateRecord, 'operator' | 'model' | 'style' | 'status' | 'usd' | 'island'> & { improved: boolean };

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
  constructor(operators: Record<string, number>, models: Record<string, number>, islands = 0) {
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
    const outcome = { win: c.improved, usd: c.usd };
    this.operators.record(c.operator, outcome);
    if (c.model) this.models.record(c.model, outcome);
    if (c.style) this.styles.record(c.style, outcome);
    if (c.island !== null) this.islands.record(String(c.island), outcome);
  }

  stats(): BanditStats {
    return { operators: this.operators.stats(), models: this.models.stats(), styles: this.styles.stats(), islands: this.islands.stats() };
  }
}

/** The bandits of a recorded run, rebuilt from its config and candidate rows (for `status`). */
export function recordedBandits(
  rows: Pick<CandidateRecord, 'id' | 'parentId' | 'operator' | 'model' | 'style' | 'status' | 'usd' | 'island' | 'score'>[],
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
  const goal: Goal = config.objective?.goal ?? 'maximize';
  const bandits = new ProposalBandits(operators, Object.fromEntries(models.map((m) => [`${m.provider}:${m.name}`, m.weight ?? 1])), islands);
  for (const r of rows) bandits.observe({ ...r, improved: improvedOnParent(r, r.parentId === null ? undefined : scores.get(r.parentId), goal) });
  return bandits;
}
