// The run's bandits over how proposals are made (core/bandit.ts): which operator, which model
// (its `weight` as the prior), which prompt style. Each decided candidate row is one pull of
// the arms it names, and a win when it was accepted, so the same rows rebuild the same state on
// resume and in `status`.
import { Bandit, type ArmStats } from '../core/bandit.js';
import type { CandidateRecord } from '../store/store.js';
import { STYLE_NAMES } from './styles.js';

export type Outcome = Pick<CandidateRecord, 'operator' | 'model' | 'style' | 'status' | 'usd'>;

export interface BanditStats {
  operators: ArmStats[];
  models: ArmStats[];
  styles: ArmStats[];
}

export class ProposalBandits {
  readonly operators: Bandit;
  readonly models: Bandit;
  readonly styles: Bandit;

  /** `operators` and `models`: name → weight, as configured. */
  constructor(operators: Record<string, number>, models: Record<string, number>) {
    this.operators = new Bandit(operators);
    this.models = new Bandit(models);
    this.styles = new Bandit(Object.fromEntries(STYLE_NAMES.map((s) => [s, 1])));
  }

  /** Counts a candidate row; the baseline and candidates still pending are no pull. */
  observe(c: Outcome): void {
    if (c.operator === 'baseline' || c.status === 'pending') return;
    const outcome = { win: c.status === 'accepted', usd: c.usd };
    this.operators.record(c.operator, outcome);
    if (c.model) this.models.record(c.model, outcome);
    if (c.style) this.styles.record(c.style, outcome);
  }

  stats(): BanditStats {
    return { operators: this.operators.stats(), models: this.models.stats(), styles: this.styles.stats() };
  }
}

/** The bandits of a recorded run, rebuilt from its config and candidate rows (for `status`). */
export function recordedBandits(
  rows: Outcome[],
  config: {
    operators?: Record<string, number>;
    model?: { provider: string; name: string; weight?: number };
    models?: { provider: string; name: string; weight?: number }[];
  },
  defaults: { withModel: Record<string, number> },
): ProposalBandits {
  const models = config.models ?? (config.model ? [config.model] : []);
  const seen = Object.fromEntries(rows.filter((r) => r.operator !== 'baseline').map((r) => [r.operator, 1]));
  const operators = config.operators ?? (models.length > 0 ? defaults.withModel : seen);
  const bandits = new ProposalBandits(operators, Object.fromEntries(models.map((m) => [`${m.provider}:${m.name}`, m.weight ?? 1])));
  for (const r of rows) bandits.observe(r);
  return bandits;
}
