// Acceptance: turns a champion's and a challenger's objective samples into keep / discard /
// measure-more. Figures behind the defaults: `npx tsx bench/noise/main.ts`.
import { median } from 'simple-statistics';
import { hodgesLehmann, mannWhitney, student, studentInterval, welch, welchInterval, type ShiftEstimate } from './statistics.js';

export { noiseFloor } from './statistics.js';

export type AcceptRule = 'significant' | 'better';

export interface AcceptConfig {
  rule: AcceptRule;
  /** Total false-accept budget of one comparison, across all its looks. */
  alpha: number;
  /** In objective units; the estimated gain must exceed it. */
  minDelta: number;
  baselineRepeats: number;
  /** Most samples a challenger gets before a forced verdict. */
  maxRepeats: number;
  /**
   * Test of `significant`. Mann–Whitney (default) keeps its false-accept rate under
   * heavy-tailed and skewed noise, where Welch's t loses power; see bench/noise.
   * Unpaired on purpose: the champion's extra accumulated samples count, and timing
   * noise is not shared by equal seeds, so pairing would only cost degrees of freedom.
   */
  test?: 'mann-whitney' | 'welch' | 'student';
}

export const DEFAULT_ACCEPT: AcceptConfig = {
  rule: 'significant',
  alpha: 0.05,
  minDelta: 0,
  baselineRepeats: 5,
  maxRepeats: 10,
  test: 'mann-whitney',
};

export type Verdict =
  | {
      decision: 'accept' | 'reject';
      reason: string;
      /** median(challenger) − median(champion), sign-adjusted so positive = better. */
      gain: number;
      /** Interval for the shift (Hodges–Lehmann/Moses for Mann–Whitney, of means for Welch); absent for one-sample sides. */
      ci?: [number, number];
      /** Two-sided coverage of `ci`. */
      ciLevel?: number;
      pValue?: number;
      naive: boolean;
    }
  | { decision: 'more'; reason: string; wantChallenger: number; wantChampion: number };

/** First look: 3 samples. Later looks roughly double, ending at maxRepeats. */
const FIRST_LOOK = Number(process.env.FL ?? 3);

/**
 * Futility stop: at an intermediate look, a challenger whose one-sided p-value for
 * "better" is above this is rejected early. Such a challenger rarely becomes significant
 * by maxRepeats, and the repeats saved go to the next candidate (bench: better final value).
 */
const FUTILITY_P = Number(process.env.FP === 'gain' ? 0.5 : process.env.FP ?? 0.5);

/**
 * Challenger sample counts at which `significant` tests, e.g. [3, 6, 10] for maxRepeats 10.
 * Each look tests at alpha / looks.length (Bonferroni over looks), so the false-accept
 * rate of the whole race stays ≤ alpha however the looks correlate.
 */
export function looks(cfg: AcceptConfig): number[] {
  if (process.env.SCHED) return process.env.SCHED.split(',').map(Number).filter((n) => n < cfg.maxRepeats).concat(cfg.maxRepeats);
  const first = Math.min(FIRST_LOOK, cfg.maxRepeats);
  const points = [first];
  for (let n = first * 2; n < cfg.maxRepeats; n *= 2) points.push(n);
  if (points[points.length - 1] < cfg.maxRepeats) points.push(cfg.maxRepeats);
  return points;
}
const MINTEST = Number(process.env.MINTEST ?? 3);

/** Repeats a new challenger gets first: 1 when the baseline is deterministic (all samples equal), else the first look. */
export function initialRepeats(baselineSamples: number[], cfg: AcceptConfig): number {
  if (cfg.rule === 'better') return 1;
  return allEqual(baselineSamples) ? 1 : looks(cfg)[0];
}

/**
 * Decide on a challenger. Samples are objective values, index i measured with seed i.
 * On 'more', measure up to the wanted totals and call again with all samples so far.
 */
export function decide(champion: number[], challenger: number[], goal: 'maximize' | 'minimize', cfg: AcceptConfig): Verdict {
  validate(champion, challenger, cfg);
  const sign = goal === 'maximize' ? 1 : -1;
  const champ = champion.map((v) => sign * v);
  const chal = challenger.map((v) => sign * v);
  const gain = median(chal) - median(champ);

  if (cfg.rule === 'better') {
    const accept = gain > cfg.minDelta;
    const ci = chal.length > 1 && champ.length > 1 ? interval(chal, champ, cfg.alpha, cfg) : undefined;
    return {
      decision: accept ? 'accept' : 'reject',
      reason: `naive rule: median ${accept ? 'better' : 'not better'} by ${fmt(gain)} (min_delta ${fmt(cfg.minDelta)}), no significance test`,
      gain,
      ...(ci && { ci: ci.ci, ciLevel: 1 - 2 * cfg.alpha }),
      naive: true,
    };
  }

  if (allEqual(champ) && allEqual(chal)) {
    const accept = gain > cfg.minDelta;
    return {
      decision: accept ? 'accept' : 'reject',
      reason: `deterministic verifier: gain ${fmt(gain)} ${accept ? '>' : '<='} min_delta ${fmt(cfg.minDelta)}`,
      gain,
      naive: false,
    };
  }

  const points = looks(cfg);
  const look = points.filter((p) => p <= chal.length).length - 1;
  if (look < 0) {
    return more(`noisy verifier: need ${points[0]} challenger samples before the first test`, points[0], champ.length);
  }
  const CH = process.env.CH ?? 'look';
  const champTarget = (k: number) => CH === 'max' ? Math.max(points[k], cfg.maxRepeats) : CH === '2x' ? Math.min(2 * points[k], Math.max(points[k], cfg.maxRepeats)) : points[k];
  const lookSize = champTarget(look);
  if (champ.length < lookSize) {
    return more(`champion has ${champ.length} samples, challenger ${chal.length}: measure the champion to match`, chal.length, lookSize);
  }

  const testLooks = points.filter((p) => p >= MINTEST).length;
  const tail = chal.length >= MINTEST ? cfg.alpha / testLooks : 0;
  const better = tail > 0 || process.env.FP !== 'gain' ? test(chal, champ, 'greater', cfg).pValue : 1;
  // "Clearly not good enough": the gain is significantly below min_delta.
  const worse = tail > 0 ? test(chal.map((v) => v - cfg.minDelta), champ, 'less', cfg).pValue : 1;
  const ci = tail > 0 ? interval(chal, champ, tail, cfg).ci : undefined;
  const stats = { gain, ci, ciLevel: 1 - 2 * tail, naive: false };
  const at = `look ${look + 1}/${points.length}, n=${chal.length}/${champ.length}, test alpha ${fmt(tail)}`;

  if (better <= tail && gain > cfg.minDelta) {
    return { decision: 'accept', reason: `significant gain ${fmt(gain)} (p=${fmt(better)}; ${at})`, pValue: better, ...stats };
  }
  if (tail > 0 && worse <= tail) {
    return { decision: 'reject', reason: `significantly below min_delta ${fmt(cfg.minDelta)}: gain ${fmt(gain)} (${at})`, pValue: better, ...stats };
  }
  if (look === points.length - 1 || chal.length >= cfg.maxRepeats) {
    const why = better <= tail ? `significant but gain ${fmt(gain)} <= min_delta ${fmt(cfg.minDelta)}` : `not significant (p=${fmt(better)})`;
    return { decision: 'reject', reason: `${why} after max_repeats (${at})`, pValue: better, ...stats };
  }
  if (process.env.FP === 'gain' ? gain <= cfg.minDelta : better > FUTILITY_P) {
    return { decision: 'reject', reason: `futile: p=${fmt(better)} > ${FUTILITY_P}, unlikely to become significant (${at})`, pValue: better, ...stats };
  }
  const next = points[look + 1];
  return more(`uncertain: gain ${fmt(gain)}, p=${fmt(better)} (${at})`, next, Math.max(champ.length, champTarget(look + 1)));
}

function test(x: number[], y: number[], alternative: 'greater' | 'less', cfg: AcceptConfig) {
  return cfg.test === 'welch' ? welch(x, y, alternative) : cfg.test === 'student' ? student(x, y, alternative) : mannWhitney(x, y, alternative);
}

function interval(x: number[], y: number[], tail: number, cfg: AcceptConfig): ShiftEstimate {
  return cfg.test === 'welch' ? welchInterval(x, y, tail) : cfg.test === 'student' ? studentInterval(x, y, tail) : hodgesLehmann(x, y, tail);
}

function more(reason: string, wantChallenger: number, wantChampion: number): Verdict {
  return { decision: 'more', reason, wantChallenger, wantChampion };
}

function validate(champion: number[], challenger: number[], cfg: AcceptConfig): void {
  if (champion.length === 0 || challenger.length === 0) {
    throw new Error(`decide: champion has ${champion.length} and challenger ${challenger.length} samples; measure each at least once (initialRepeats) before deciding`);
  }
  for (const v of [...champion, ...challenger]) {
    if (!Number.isFinite(v)) throw new Error(`decide: objective sample ${v} is not a finite number; treat that run as failed instead of scoring it`);
  }
  if (!(cfg.alpha > 0 && cfg.alpha < 0.5)) throw new Error(`accept.alpha must be in (0, 0.5), got ${cfg.alpha}`);
  if (!(Number.isInteger(cfg.maxRepeats) && cfg.maxRepeats >= 1)) throw new Error(`accept.max_repeats must be a positive integer, got ${cfg.maxRepeats}`);
  if (!(cfg.minDelta >= 0)) throw new Error(`accept.min_delta must be >= 0 (objective units), got ${cfg.minDelta}`);
}

function allEqual(values: number[]): boolean {
  return values.every((v) => v === values[0]);
}

function fmt(v: number): string {
  return Number.isFinite(v) ? Number(v.toPrecision(4)).toString() : String(v);
}
