// The `pooled` rule: a t test whose noise is the run's pooled estimate (evaluate/noise-model.ts)
// rather than the two samples at hand, so most verdicts take one or two samples of a challenger.
// Three guards keep it honest: a challenger whose own spread is inconsistent with the pooled
// noise (an F test) is judged on its own spread, needs more samples and a confirmation (significant
// before and after its latest sample) before any accept; no accept stands on fewer than 3 samples,
// so the spread check has 2 degrees of freedom; and a seed-driven run compares seed by seed, which
// removes the seed's share of the noise.
import { mean } from 'simple-statistics';
import type { AcceptConfig, Verdict } from './acceptance.js';
import { pairedDifferences, sumSquares, type NoiseContext, type PooledVariance } from './noise-model.js';
import { fQuantile, studentCdf, studentQuantile } from './statistics.js';

/** At one sample: t below this is futile (about 27% of neutral challengers pass; few real gains of 2 noise SDs are lost). */
const SCREEN_T = 0.6;
/** From two samples on: t below this is futile, its repeats are better spent on the next challenger. */
const FUTILITY_T = 1.25;
/** False-alarm rate of the spread check (an F test of the challenger's variance against the pool's); high on purpose, a false alarm only costs repeats. */
const CONSISTENCY_ALPHA = 0.2;
/** A challenger judged on its own spread needs this many samples before it can be accepted. */
const OWN_SPREAD_MIN = 4;
/**
 * No accept on fewer samples: the spread check then has 2 degrees of freedom. With 1 it passes a
 * challenger of 10× the noise SD about 10% of the time (more than half the inflators bench/noise saw
 * accepted were accepted at 2 samples); with 2, about 2%.
 */
const ACCEPT_MIN = 3;
/** The champion is measured at least this often (machine noise: its samples are shared by every later comparison). */
const CHAMPION_MIN = 4;

/** Challenger sample counts at which the race looks (then max_repeats). With max_repeats 10: 1, 2, 4, 7. */
export function pooledLooks(cfg: Pick<AcceptConfig, 'maxRepeats'>): number[] {
  return [...new Set([1, 2, 4, Math.round((4 + cfg.maxRepeats) / 2)].filter((n) => n < cfg.maxRepeats))];
}

interface Assessment {
  gain: number;
  se: number;
  df: number;
  /** The challenger's spread agrees with the pool's (or there is nothing to compare yet). */
  consistent: boolean;
  /** How the noise was estimated, in words. */
  how: string;
}

/**
 * Decides on sign-adjusted samples (higher is better). Sample i was measured with seed i on
 * both sides. `noise.pool` is the run's noise without this challenger; without one, the
 * champion's own repeats are the pool. The plan at each look:
 * - significantly below min_delta: reject;
 * - significant with ACCEPT_MIN samples or more and a spread consistent with the pool: accept;
 * - judged on its own spread (inconsistent): accept from OWN_SPREAD_MIN samples on when
 *   significant now and before the latest sample (the confirmation);
 * - significant but short of that: one more sample;
 * - t below SCREEN_T (one sample) or FUTILITY_T (more), or max_repeats reached: reject;
 * - else measure to the next look.
 * Each test is one-sided at alpha/2; the futility screens stop most neutral challengers before a
 * second look, which keeps the race's false accepts under alpha in bench/noise (Gaussian,
 * heavy-tailed, skewed, seed-driven and drifting noise, and a challenger that inflates its own spread).
 */
export function decidePooled(champ: number[], chal: number[], cfg: AcceptConfig, noise: NoiseContext): Verdict {
  const n = chal.length;
  const tail = cfg.alpha / 2;
  const wantChampion = championWant(n, noise, cfg);
  if (champ.length < wantChampion)
    return more(`champion has ${champ.length} samples, challenger ${n}: measure the champion to ${wantChampion}`, n, wantChampion);
  const pool = noise.pool ?? ownPool(champ);
  const a = assess(champ, chal, noise, pool);
  if (!a) return more(`one sample on each side and no other measurement of the noise: measure the champion again`, n, 2);
  const t = a.se === 0 ? Math.sign(a.gain) * Infinity : a.gain / a.se;
  const at = `n=${n} vs ${champ.length}, ${a.how}`;
  const q = studentQuantile(1 - tail, a.df);
  const stats = { gain: a.gain, ci: [a.gain - q * a.se, a.gain + q * a.se] as [number, number], ciLevel: 1 - 2 * tail, pValue: pGreater(a), naive: false };
  const below = a.se === 0 ? a.gain < cfg.minDelta : studentCdf((a.gain - cfg.minDelta) / a.se, a.df) <= tail;
  if (below) return { decision: 'reject', reason: `significantly below min_delta ${fmt(cfg.minDelta)}: gain ${fmt(a.gain)} (${at})`, ...stats };

  const significant = (x: Assessment | undefined, count: number) =>
    !!x && x.gain > cfg.minDelta && pGreater(x) <= tail && (x.consistent || count >= OWN_SPREAD_MIN);
  if (significant(a, n)) {
    if (n >= ACCEPT_MIN && a.consistent)
      return { decision: 'accept', reason: `significant gain ${fmt(a.gain)} (p=${fmt(stats.pValue)}) at n=${n}, spread consistent (${at})`, ...stats };
    if (n >= ACCEPT_MIN && significant(assess(champ, chal.slice(0, n - 1), noise, pool), n - 1))
      return { decision: 'accept', reason: `significant gain ${fmt(a.gain)} (p=${fmt(stats.pValue)}), confirmed by sample ${n} (${at})`, ...stats };
    if (n < cfg.maxRepeats) {
      const why = a.consistent ? `an accept needs ${ACCEPT_MIN} samples` : 'a confirmation sample, judged on its own spread';
      return more(
        `significant gain ${fmt(a.gain)} at n=${n} (${at}): one more sample before accepting (${why})`,
        n + 1,
        Math.max(champ.length, championWant(n + 1, noise, cfg)),
      );
    }
  }
  if (n >= cfg.maxRepeats) {
    const why = significant(a, n) ? 'significant but not confirmed' : `not significant (p=${fmt(stats.pValue)})`;
    return { decision: 'reject', reason: `${why} at max_repeats (${at})`, ...stats };
  }
  const futile = n === 1 ? SCREEN_T : FUTILITY_T;
  if (!(a.gain > cfg.minDelta) || t < futile) return { decision: 'reject', reason: `futile: gain ${fmt(a.gain)}, t=${fmt(t)} < ${futile} (${at})`, ...stats };
  const next = pooledLooks(cfg).find((l) => l > n) ?? cfg.maxRepeats;
  const until = a.consistent ? next : Math.max(next, OWN_SPREAD_MIN);
  const spread = a.consistent ? '' : '; its spread is inconsistent with the pooled noise, so it is judged on its own spread';
  return more(`uncertain: gain ${fmt(a.gain)}, p=${fmt(stats.pValue)} (${at}${spread})`, until, Math.max(champ.length, championWant(until, noise, cfg)));
}

/**
 * The challenger's gain and its standard error. Consistent spread: the pool plus the
 * challenger's own sum of squares. Inconsistent: the challenger's own variance (Welch–
 * Satterthwaite degrees of freedom), so a candidate that inflates its spread is not judged on
 * the small noise of the others. Undefined when no variance is known at all.
 */
function assess(champ: number[], chal: number[], noise: NoiseContext, pool: PooledVariance | undefined): Assessment | undefined {
  const n = chal.length;
  const paired = noise.kind === 'seed';
  const values = paired ? pairedDifferences(champ, chal) : chal;
  const gainOf = paired ? mean(values) : mean(chal) - mean(champ);
  const ss = sumSquares(values);
  const ownDf = n - 1;
  // Per-sample weight of the standard error: a paired mean of n differences, or two independent means.
  const weight = paired ? 1 / n : 1 / n + 1 / champ.length;
  const label = paired ? 'paired by seed' : 'unpaired';
  if (!pool) {
    if (ownDf === 0) return undefined;
    return { gain: gainOf, se: Math.sqrt((ss / ownDf) * weight), df: ownDf, consistent: true, how: `${label}, own spread (no pooled noise)` };
  }
  const consistent = ownDf === 0 || (pool.variance === 0 ? ss === 0 : ss / ownDf / pool.variance <= fQuantile(1 - CONSISTENCY_ALPHA, ownDf, pool.df));
  if (consistent) {
    const df = pool.df + ownDf;
    const variance = (pool.variance * pool.df + ss) / df;
    return { gain: gainOf, se: Math.sqrt(variance * weight), df, consistent, how: `${label}, pooled noise SD ${fmt(Math.sqrt(variance))} (df ${df})` };
  }
  const own = ss / ownDf / n;
  const other = paired ? 0 : pool.variance / champ.length;
  const se = Math.sqrt(own + other);
  const df = (own + other) ** 2 / (own ** 2 / ownDf + (other > 0 ? other ** 2 / pool.df : 0));
  return {
    gain: gainOf,
    se,
    df,
    consistent,
    how: `${label}, own spread SD ${fmt(Math.sqrt(ss / ownDf))} vs pooled ${fmt(Math.sqrt(pool.variance))} (inconsistent)`,
  };
}

/** The champion's repeats as the pool when the run has no other (a standalone decide()). */
function ownPool(champ: number[]): PooledVariance | undefined {
  return champ.length >= 2 ? { variance: sumSquares(champ) / (champ.length - 1), df: champ.length - 1 } : undefined;
}

/** Samples the champion needs for a look at n: the same seeds (paired), or at least CHAMPION_MIN (unpaired). */
function championWant(n: number, noise: NoiseContext, cfg: AcceptConfig): number {
  return Math.min(cfg.maxRepeats, noise.kind === 'seed' ? n : Math.max(n, CHAMPION_MIN));
}

function pGreater(a: Assessment): number {
  return a.se === 0 ? Number(!(a.gain > 0)) : 1 - studentCdf(a.gain / a.se, a.df);
}

function more(reason: string, wantChallenger: number, wantChampion: number): Verdict {
  return { decision: 'more', reason, wantChallenger, wantChampion };
}

function fmt(v: number): string {
  return Number.isFinite(v) ? Number(v.toPrecision(4)).toString() : String(v);
}
