// The one bandit of a run: Thompson sampling on "did this pull improve?" (a Beta posterior per
// arm), cost-aware when a price is known. It chooses models, operators, prompt styles and
// islands. Its state is counts only, so it is rebuilt exactly from the store's candidate rows
// on resume (each row is one pull of the arms it names), and every draw comes from the caller's
// seeded generator, so a decision is reproducible.

export interface ArmStats {
  arm: string;
  pulls: number;
  wins: number;
  usd: number;
  /** Posterior mean of the win rate (prior included). */
  value: number;
  /** value per dollar of a mean pull, when some arm has a known cost; null otherwise. */
  perUsd: number | null;
}

/**
 * How many pseudo-pulls the prior is worth: with weights 0.7/0.3 an untried pair is drawn
 * about 70/30 at first, and a few dozen real outcomes outweigh it.
 */
const PRIOR_PULLS = 2;
/**
 * A pull never counts as cheaper than this share of the mean priced pull: a free arm
 * (an offline operator, an unpriced model) still spends evaluations, and without a floor
 * one that never wins would keep a constant value per dollar and never be dropped.
 */
const COST_FLOOR_SHARE = 0.25;

interface Arm {
  prior: number;
  pulls: number;
  wins: number;
  usd: number;
}

export class Bandit {
  private readonly arms = new Map<string, Arm>();

  /** `priors`: arm → weight (> 0); only arms with a weight can be chosen. Weights are normalized. */
  constructor(priors: Record<string, number>) {
    const total = Object.values(priors).reduce((s, w) => s + Math.max(0, w), 0);
    for (const [arm, w] of Object.entries(priors)) {
      if (w > 0) this.arms.set(arm, { prior: w / total, pulls: 0, wins: 0, usd: 0 });
    }
  }

  /** One finished pull. An arm it does not know (from an older config) is counted but never chosen. */
  record(arm: string, outcome: { win: boolean; usd?: number }): void {
    const a = this.arms.get(arm) ?? { prior: 0, pulls: 0, wins: 0, usd: 0 };
    a.pulls++;
    if (outcome.win) a.wins++;
    a.usd += outcome.usd ?? 0;
    this.arms.set(arm, a);
  }

  /** Draws a win rate per arm from its posterior and picks the best per dollar (per pull when nothing has a price); `among` narrows the arms. */
  choose(random: () => number, among?: readonly string[]): string {
    const open = [...this.arms].filter(([name, a]) => a.prior > 0 && (!among || among.includes(name)));
    if (open.length === 0) throw new Error('the bandit has no arm to choose: give at least one a weight above 0');
    if (open.length === 1) return open[0][0];
    const cost = this.costModel();
    let best = open[0][0];
    let bestValue = -Infinity;
    for (const [name, a] of open) {
      const [alpha, beta] = posterior(a);
      const value = sampleBeta(alpha, beta, random) / cost(a);
      if (value > bestValue) [best, bestValue] = [name, value];
    }
    return best;
  }

  stats(): ArmStats[] {
    const priced = [...this.arms.values()].some((a) => a.usd > 0);
    const cost = this.costModel();
    return [...this.arms].map(([arm, a]) => {
      const [alpha, beta] = posterior(a);
      const value = alpha / (alpha + beta);
      return { arm, pulls: a.pulls, wins: a.wins, usd: a.usd, value, perUsd: priced ? value / cost(a) : null };
    });
  }

  /** Mean dollars per pull of an arm, smoothed towards the mean of all priced pulls, floored; 1 when nothing has a price. */
  private costModel(): (a: Arm) => number {
    let usd = 0;
    let pulls = 0;
    for (const a of this.arms.values()) {
      usd += a.usd;
      pulls += a.pulls;
    }
    if (usd <= 0) return () => 1;
    const mean = usd / pulls;
    return (a) => Math.max(COST_FLOOR_SHARE * mean, (a.usd + mean) / (a.pulls + 1));
  }
}

function posterior(a: Arm): [number, number] {
  return [1 + a.wins + PRIOR_PULLS * a.prior, 1 + (a.pulls - a.wins) + PRIOR_PULLS * (1 - a.prior)];
}

/** Beta(α, β) as X/(X+Y) of two gamma draws. */
function sampleBeta(alpha: number, beta: number, random: () => number): number {
  const x = sampleGamma(alpha, random);
  return x / (x + sampleGamma(beta, random));
}

/** Marsaglia–Tsang for shape >= 1 (every posterior here has one). */
function sampleGamma(shape: number, random: () => number): number {
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = random();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

function normal(random: () => number): number {
  const u = 1 - random(); // (0, 1]
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}
