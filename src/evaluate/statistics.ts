// Two-sample statistics for noisy verifier scores: noise floor, Mann–Whitney U,
// Welch's t, and confidence intervals for the shift between two samples.
import { createRequire } from 'node:module';
import { mean, median, medianAbsoluteDeviation, sampleVariance } from 'simple-statistics';

// jstat ships no type declarations; type just the two distributions we use.
interface JStat {
  normal: { cdf(x: number, mean: number, sd: number): number; inv(p: number, mean: number, sd: number): number };
  studentt: { cdf(x: number, df: number): number; inv(p: number, df: number): number };
  centralF: { inv(p: number, df1: number, df2: number): number };
}
const { jStat } = createRequire(import.meta.url)('jstat') as { jStat: JStat };

/** 'greater': the first sample tends to be larger than the second; 'less': smaller. */
export type Alternative = 'greater' | 'less';

export interface NoiseFloor {
  n: number;
  median: number;
  /** Raw median absolute deviation (not scaled). */
  mad: number;
  /** Robust coefficient of variation: 1.4826·MAD / |median| (0 when MAD is 0; Infinity when only the median is 0). */
  cv: number;
}

/** Spread of repeated measurements of one program. Robust (median/MAD) so one outlier run does not hide the noise. */
export function noiseFloor(samples: number[]): NoiseFloor {
  requireFinite(samples, 'noiseFloor samples', 1);
  const med = median(samples);
  const mad = medianAbsoluteDeviation(samples);
  const cv = mad === 0 ? 0 : med === 0 ? Infinity : (1.4826 * mad) / Math.abs(med);
  return { n: samples.length, median: med, mad, cv };
}

export interface TestResult {
  /** U for Mann–Whitney (pairs where x beats y, ties count ½), t for Welch. */
  statistic: number;
  pValue: number;
  method: 'exact' | 'normal' | 'welch';
  df?: number;
}

/** Largest combined size for which the exact U distribution is used (as R's wilcox.test, which uses 50). */
const EXACT_LIMIT = 50;

/**
 * One-sided Mann–Whitney U test (= Wilcoxon rank-sum). Exact null distribution when there
 * are no ties and m+n < 50; otherwise the normal approximation with tie-corrected variance
 * and a 0.5 continuity correction (the same choices as R's `wilcox.test`).
 */
export function mannWhitney(x: number[], y: number[], alternative: Alternative): TestResult {
  requireFinite(x, 'mannWhitney x', 1);
  requireFinite(y, 'mannWhitney y', 1);
  const m = x.length;
  const n = y.length;
  let u = 0;
  for (const a of x) for (const b of y) u += a > b ? 1 : a === b ? 0.5 : 0;
  const tieSum = tieCorrection([...x, ...y]);
  if (tieSum === 0 && m + n < EXACT_LIMIT) {
    const dist = uDistribution(m, n);
    // The distribution is symmetric, so P(U >= u) = P(U <= mn - u).
    const tail = alternative === 'greater' ? m * n - u : u;
    return { statistic: u, pValue: dist.cdf(tail), method: 'exact' };
  }
  const N = m + n;
  const variance = ((m * n) / 12) * (N + 1 - tieSum / (N * (N - 1)));
  if (variance === 0) return { statistic: u, pValue: 1, method: 'normal' }; // every value tied: no evidence either way
  const shift = u - (m * n) / 2;
  const z = alternative === 'greater' ? (shift - 0.5) / Math.sqrt(variance) : (shift + 0.5) / Math.sqrt(variance);
  const p = alternative === 'greater' ? 1 - jStat.normal.cdf(z, 0, 1) : jStat.normal.cdf(z, 0, 1);
  return { statistic: u, pValue: p, method: 'normal' };
}

/** One-sided Welch's t test on the means (unequal variances, Welch–Satterthwaite df). Needs 2+ values per side. */
export function welch(x: number[], y: number[], alternative: Alternative): TestResult {
  const w = welchParts(x, y);
  if (w.se === 0) {
    const p = alternative === 'greater' ? Number(!(w.diff > 0)) : Number(!(w.diff < 0));
    return { statistic: w.diff === 0 ? 0 : Math.sign(w.diff) * Infinity, pValue: p, method: 'welch', df: w.df };
  }
  const t = w.diff / w.se;
  const below = jStat.studentt.cdf(t, w.df);
  return { statistic: t, pValue: alternative === 'greater' ? 1 - below : below, method: 'welch', df: w.df };
}

/** P(T <= t) for Student's t with `df` degrees of freedom. */
export function studentCdf(t: number, df: number): number {
  return jStat.studentt.cdf(t, df);
}

/** The p-quantile of Student's t with `df` degrees of freedom. */
export function studentQuantile(p: number, df: number): number {
  return jStat.studentt.inv(p, df);
}

/** The p-quantile of the F distribution with (df1, df2) degrees of freedom. */
export function fQuantile(p: number, df1: number, df2: number): number {
  return jStat.centralF.inv(p, df1, df2);
}

export interface ShiftEstimate {
  /** Point estimate of the shift x − y. */
  estimate: number;
  /** Two-sided interval; each side excludes at most `tail` probability. Infinite when the samples are too small for that level. */
  ci: [number, number];
}

/**
 * Hodges–Lehmann estimate of the shift x − y (median of all pairwise differences) with the
 * distribution-free Moses interval: order statistics of those differences picked from the
 * Mann–Whitney null distribution. Its lower bound is > 0 exactly when the one-sided
 * Mann–Whitney test at `tail` says x is greater (no ties), so test and interval agree.
 */
export function hodgesLehmann(x: number[], y: number[], tail: number): ShiftEstimate {
  requireFinite(x, 'hodgesLehmann x', 1);
  requireFinite(y, 'hodgesLehmann y', 1);
  const diffs: number[] = [];
  for (const a of x) for (const b of y) diffs.push(a - b);
  diffs.sort((a, b) => a - b);
  const c = criticalU(x.length, y.length, tail, tieCorrection([...x, ...y]) > 0);
  const ci: [number, number] = c < 0 ? [-Infinity, Infinity] : [diffs[c], diffs[diffs.length - 1 - c]];
  return { estimate: median(diffs), ci };
}

/** Welch interval for the difference of means x − y; each side excludes `tail` probability. */
export function welchInterval(x: number[], y: number[], tail: number): ShiftEstimate {
  const w = welchParts(x, y);
  const half = w.se === 0 ? 0 : jStat.studentt.inv(1 - tail, w.df) * w.se;
  return { estimate: w.diff, ci: [w.diff - half, w.diff + half] };
}

/** The null distribution of U for sizes m, n: coefficients of the Gaussian binomial [m+n choose m]_q. */
function uDistribution(m: number, n: number): { cdf(u: number): number } {
  const key = `${Math.min(m, n)},${Math.max(m, n)}`;
  let cumulative = distributionCache.get(key);
  if (!cumulative) {
    const [a, b] = [Math.min(m, n), Math.max(m, n)];
    const counts = new Array<number>(a * b + a + 1).fill(0);
    counts[0] = 1;
    // Multiply by (1 - q^(b+i)), then divide by (1 - q^i): each step leaves [b+i choose i]_q.
    for (let i = 1; i <= a; i++) {
      for (let k = counts.length - 1; k >= b + i; k--) counts[k] -= counts[k - b - i];
      for (let k = i; k < counts.length; k++) counts[k] += counts[k - i];
    }
    const total = counts.reduce((s, c) => s + c, 0);
    cumulative = [];
    let run = 0;
    for (let u = 0; u <= a * b; u++) cumulative.push((run += counts[u]) / total);
    distributionCache.set(key, cumulative);
  }
  const cum = cumulative;
  return { cdf: (u) => (u < 0 ? 0 : u >= cum.length - 1 ? 1 : cum[Math.floor(u)]) };
}
const distributionCache = new Map<string, number[]>();

/** Largest c with P(U <= c) <= tail under the null, or -1 when even U = 0 is more likely than that. */
function criticalU(m: number, n: number, tail: number, ties: boolean): number {
  if (!ties && m + n < EXACT_LIMIT) {
    const dist = uDistribution(m, n);
    let c = -1;
    while (c + 1 <= m * n && dist.cdf(c + 1) <= tail) c++;
    return c;
  }
  const sd = Math.sqrt((m * n * (m + n + 1)) / 12);
  return Math.floor((m * n) / 2 - jStat.normal.inv(1 - tail, 0, 1) * sd - 0.5);
}

/** Σ(t³ − t) over groups of tied values; 0 when all values differ. */
function tieCorrection(values: number[]): number {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let sum = 0;
  for (const t of counts.values()) sum += t * t * t - t;
  return sum;
}

function welchParts(x: number[], y: number[]): { diff: number; se: number; df: number } {
  requireFinite(x, 'welch x', 2);
  requireFinite(y, 'welch y', 2);
  const vx = sampleVariance(x) / x.length;
  const vy = sampleVariance(y) / y.length;
  const se = Math.sqrt(vx + vy);
  const df = se === 0 ? x.length + y.length - 2 : (vx + vy) ** 2 / (vx ** 2 / (x.length - 1) + vy ** 2 / (y.length - 1));
  return { diff: mean(x) - mean(y), se, df };
}

function requireFinite(values: number[], what: string, min: number): void {
  if (values.length < min) throw new Error(`${what}: need at least ${min} value(s), got ${values.length}; measure more repeats first`);
  const bad = values.find((v) => !Number.isFinite(v));
  if (bad !== undefined) throw new Error(`${what}: ${bad} is not a finite number; drop failed runs before computing statistics`);
}
