// The run's noise, pooled over every program measured more than once, so that a verdict can
// stand on one or two samples of a challenger (evaluate/pooled-acceptance.ts); and which kind
// of noise it is. Seed-driven noise (a simulator, a benchmark over seeded instances: the same
// seed gives the same value) is removed by comparing challenger and champion seed by seed;
// machine noise (timings: the same seed gives another value each run) is not shared by equal
// seeds, so comparing seed by seed would only throw the champion's extra samples away.
import { mean } from 'simple-statistics';
import { fQuantile } from './statistics.js';

/** `seed`: compare seed by seed (paired); `machine`: compare unpaired. */
export type NoiseKind = 'seed' | 'machine';

export interface NoiseModel {
  kind: NoiseKind;
  /** Share of the baseline's variance the seed explains (1 − machine / total variance); null when configured, or the verifier is deterministic. */
  seedShare: number | null;
  /** How it was chosen: measured at the baseline (seeds measured twice), or set by accept.noise_model. */
  source: 'measured' | 'configured';
}

/** A variance of one sample (machine) or of one paired difference (seed), with its degrees of freedom. */
export interface PooledVariance {
  variance: number;
  df: number;
}

/** What a verdict of the pooled rule stands on: how to compare, and the run's noise without the challenger. */
export interface NoiseContext {
  kind: NoiseKind;
  pool?: PooledVariance;
}

/** Seed-driven only when the seed's share of the variance is significant at this level (a one-way random-effects F test over the baseline's seeds). */
const SEED_TEST_ALPHA = 0.05;
/** ...and more than this share of the variance: pairing then beats the unpaired comparison even against a champion with many samples. */
const SEED_SHARE = 0.5;

/**
 * Which noise the baseline shows. `samples[i]` was measured with seed i, `replicates[i]` with
 * seed i again (every seed of the baseline, or a prefix). Same-seed differences measure the
 * machine noise alone; the spread of the per-seed means measures the seed's share on top (one-way
 * random-effects ANOVA). A verifier deterministic for a given seed (equal replicates) is
 * seed-driven whatever the rest says.
 */
export function classifyNoise(samples: number[], replicates: number[]): NoiseModel {
  const k = replicates.length;
  if (k < 2 || samples.length < k)
    throw new Error(
      `classifyNoise: needs 2+ seeds measured twice (replicates of the baseline's first seeds), got ${k} replicates of ${samples.length} samples`,
    );
  const within = replicates.reduce((s, r, i) => s + (r - samples[i]) ** 2, 0) / (2 * k); // machine variance, k df
  const means = replicates.map((r, i) => (r + samples[i]) / 2);
  const between = (2 * sumSquares(means)) / (k - 1); // 2·seed variance + machine variance, k − 1 df
  if (within === 0) return { kind: 'seed', seedShare: 1, source: 'measured' };
  const seed = Math.max(0, (between - within) / 2);
  const seedShare = seed / (seed + within);
  const significant = between / within > fQuantile(1 - SEED_TEST_ALPHA, k - 1, k);
  return { kind: significant && seedShare > SEED_SHARE ? 'seed' : 'machine', seedShare, source: 'measured' };
}

/** How many degrees of freedom the pool keeps, newest first: enough for a t quantile near the normal one, few enough to follow a machine whose noise changes. */
export const POOL_WINDOW_DF = 24;

/**
 * The run's pooled noise: each program's sum of squares around its own mean (machine) or of
 * its differences from the champion on shared seeds (seed), newest first until the window's
 * degrees of freedom are reached. Programs are keyed by candidate id; setting one again
 * (more repeats, a re-measured champion) replaces its entry and makes it the newest.
 */
export class NoisePool {
  private readonly entries = new Map<string, { ss: number; df: number }>();

  constructor(
    readonly kind: NoiseKind,
    private readonly windowDf = POOL_WINDOW_DF,
  ) {}

  /**
   * The baseline's repeats and its replicates (seed i measured again): two sets of samples of
   * one program (machine), or same-seed differences, whose variance (twice the machine noise's)
   * is what a paired difference of two programs has when the seed affects both alike (seed).
   */
  observeBaseline(id: number, samples: number[], replicates: number[]): void {
    if (this.kind === 'machine') {
      this.set(`${id}`, samples);
      this.set(`${id}:replicates`, replicates);
    } else
      this.setCentred(
        `${id}:replicates`,
        replicates.map((r, i) => r - samples[i]),
      );
  }

  /** A race's state after a measurement: the champion's repeats (machine) and the challenger's samples, or its differences from the champion (seed). */
  observe(champion: { id: number; samples: number[] }, challenger?: { id: number; samples: number[] }): void {
    if (this.kind === 'machine') this.set(`${champion.id}`, champion.samples);
    if (challenger) this.set(`${challenger.id}`, this.kind === 'machine' ? challenger.samples : pairedDifferences(champion.samples, challenger.samples));
  }

  /** The pooled variance of the newest entries (all but candidate `exclude`'s), or undefined when nothing has been measured twice. */
  estimate(exclude?: number): PooledVariance | undefined {
    const skip = exclude === undefined ? undefined : `${exclude}`;
    let ss = 0;
    let df = 0;
    for (const [id, e] of [...this.entries].reverse()) {
      if (id === skip) continue;
      ss += e.ss;
      df += e.df;
      if (df >= this.windowDf) break;
    }
    return df === 0 ? undefined : { variance: ss / df, df };
  }

  /** Values around their own mean; fewer than 2 add nothing. Setting a key again makes it the newest. */
  private set(key: string, values: number[]): void {
    this.entries.delete(key);
    if (values.length >= 2) this.add(key, { ss: sumSquares(values), df: values.length - 1 });
  }

  /** Differences whose mean is known to be 0 (the same program and seed measured twice): every value is a degree of freedom. */
  private setCentred(key: string, differences: number[]): void {
    this.entries.delete(key);
    if (differences.length >= 1) this.add(key, { ss: differences.reduce((s, d) => s + d * d, 0), df: differences.length });
  }

  /** Every entry has a degree of freedom or more, so the newest windowDf + 1 fill the window even with one excluded; older ones go. */
  private add(key: string, entry: { ss: number; df: number }): void {
    this.entries.set(key, entry);
    for (const old of this.entries.keys()) {
      if (this.entries.size <= this.windowDf + 1) break;
      this.entries.delete(old);
    }
  }
}

/** Challenger minus champion, seed by seed, over the seeds both were measured with. */
export function pairedDifferences(champion: number[], challenger: number[]): number[] {
  const n = Math.min(champion.length, challenger.length);
  return challenger.slice(0, n).map((v, i) => v - champion[i]);
}

/** Σ (x − mean)². */
export function sumSquares(values: number[]): number {
  if (values.length === 0) return 0;
  const m = mean(values);
  return values.reduce((s, v) => s + (v - m) ** 2, 0);
}
