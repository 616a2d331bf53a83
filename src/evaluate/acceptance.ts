// Acceptance: turns a champion's and a challenger's objective samples into keep / discard /
// measure-more. The defaults are tuned on `npx tsx bench/noise/main.ts`.
import { median } from 'simple-statistics';
import type { NoiseContext } from './noise-model.js';
import { decidePooled } from './pooled-acceptance.js';
import { hodgesLehmann, mannWhitney, welch, welchInterval, type ShiftEstimate } from './statistics.js';

export { noiseFloor } from './statistics.js';

/**
 * `pooled`: a t test on the run's pooled noise, paired by seed when the noise is seed-driven
 * (evaluate/pooled-acceptance.ts); `significant`: Mann–Whitney on the two samples alone;
 * `better`: the naive median comparison.
 */
export type AcceptRule = 'pooled' | 'significant' | 'better';

export interface AcceptConfig {
  rule: AcceptRule;
  /** False-accept budget of one comparison, over all its looks. */
  alpha: number;
  /** In objective units; the estimated gain must exceed it. */
  minDelta: number;
  baselineRepeats: number;
  /** Most samples a challenger gets before a forced verdict. */
  maxRepeats: number;
  /**
   * Test of `significant`. Mann–Whitney (default) is exact at small n, keeps its
   * false-accept rate under heavy-tailed and skewed noise, and beats Welch's t on
   * Student-t(3) noise while matching it on Gaussian noise (bench/noise). Unpaired on
   * purpose: the champion's extra accumulated samples count, and machine noise is not
   * shared by equal seeds, so pairing by seed would only cost degrees of freedom.
   */
  test?: 'mann-whitney' | 'welch';
}

export const DEFAULT_ACCEPT: AcceptConfig = {
  rule: 'pooled',
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
      /** Sign-adjusted so positive = better: median(challenger) − median(champion); for `pooled`, the difference of means (paired: the mean difference). */
      gain: number;
      /** Interval for the shift: Hodges–Lehmann/Moses for Mann–Whitney, of the means for Welch and pooled. */
      ci?: [number, number];
      /** Two-sided coverage of `ci` (1 − 2 × the per-look alpha, so ci[0] > 0 matches a significant test). */
      ciLevel?: number;
      pValue?: number;
      naive: boolean;
      /** The challenger's samples the verdict was made on (a champion's later samples are re-measurements). */
      samples?: number;
    }
  | { decision: 'more'; reason: string; wantChallenger: number; wantChampion: number };

/**
 * Racing plan for `significant`, as challenger sample counts. Screening looks (1 and 2
 * samples) only drop challengers whose median is not ahead: that never adds a false accept,
 * and most neutral or worse candidates end there, cheaply. Test looks (4, midway, max)
 * split alpha equally (Bonferroni), so the whole race keeps false accepts ≤ alpha however
 * the looks correlate. With maxRepeats 10: screen at 1, 2; test at 4, 7, 10.
 */
export function looks(cfg: AcceptConfig): { screen: number[]; test: number[] } {
  const first = Math.min(FIRST_TEST, cfg.maxRepeats);
  const test = [...new Set([first, Math.round((first + cfg.maxRepeats) / 2), cfg.maxRepeats])];
  return { screen: SCREEN.filter((n) => n < first), test };
}
const SCREEN = [1, 2];
const FIRST_TEST = 4;

/** Repeats a new challenger gets first: 1 (deterministic baseline: decides exactly; noisy: the first screening look). */
export function initialRepeats(baselineSamples: number[], cfg: AcceptConfig): number {
  if (cfg.rule !== 'significant' || allEqual(baselineSamples)) return 1;
  const plan = looks(cfg);
  return plan.screen[0] ?? plan.test[0];
}

/**
 * Decide on a challenger. Samples are objective values, index i measured with seed i.
 * On 'more', measure each side up to the wanted totals and call again with all samples:
 * the false-accept guarantee assumes decide() sees only the sample counts it asked for.
 * Both sides constant (e.g. one sample each from a deterministic verifier) decides exactly,
 * so a noisy run must not hand a one-sample champion to a one-sample challenger.
 * `noise` (rule `pooled` only): how to compare and the run's pooled noise without this
 * challenger; without it, unpaired against the champion's own spread.
 */
export function decide(champion: number[], challenger: number[], goal: 'maximize' | 'minimize', cfg: AcceptConfig, noise?: NoiseContext): Verdict {
  const verdict = judge(champion, challenger, goal, cfg, noise);
  return verdict.decision === 'more' ? verdict : { ...verdict, samples: challenger.length };
}

function judge(champion: number[], challenger: number[], goal: 'maximize' | 'minimize', cfg: AcceptConfig, noise?: NoiseContext): Verdict {
  validate(champion, challenger, cfg);
  const sign = goal === 'maximize' ? 1 : -1;
  const champ = champion.map((v) => sign * v);
  const chal = challenger.map((v) => sign * v);
  const gain = median(chal) - median(champ);
  const ahead = gain > cfg.minDelta;

  if (cfg.rule === 'better') {
    const ci = chal.length > 1 && champ.length > 1 ? shift(chal, champ, cfg.alpha, cfg).ci : undefined;
    return {
      decision: ahead ? 'accept' : 'reject',
      reason: `naive rule: ${medianMove(gain, ahead, cfg.minDelta)}, no significance test`,
      gain,
      ...(ci && { ci, ciLevel: 1 - 2 * cfg.alpha }),
      naive: true,
    };
  }

  if (allEqual(champ) && allEqual(chal)) {
    return {
      decision: ahead ? 'accept' : 'reject',
      reason: `deterministic verifier: gain ${fmt(gain)} ${ahead ? '>' : '<='} min_delta ${fmt(cfg.minDelta)}`,
      gain,
      naive: false,
    };
  }

  if (cfg.rule === 'pooled') return decidePooled(champ, chal, cfg, noise ?? { kind: 'machine' });

  const plan = looks(cfg);
  const n = chal.length;
  const testsDone = plan.test.filter((t) => t <= n).length;
  if (testsDone === 0) {
    if (!ahead) return { decision: 'reject', reason: `screening at n=${n}: gain ${fmt(gain)} <= min_delta ${fmt(cfg.minDelta)}`, gain, naive: false };
    const next = [...plan.screen, ...plan.test].find((t) => t > n)!;
    return more(`screening at n=${n}: gain ${fmt(gain)} ahead, measure more`, next, Math.max(champ.length, next));
  }
  const size = plan.test[testsDone - 1];
  if (champ.length < size) {
    return more(`champion has ${champ.length} samples, challenger ${n}: measure the champion to match`, n, size);
  }

  const tail = cfg.alpha / plan.test.length;
  const better = test(chal, champ, 'greater', cfg).pValue;
  // Clearly not good enough: the gain is significantly below min_delta.
  const worse = test(
    chal.map((v) => v - cfg.minDelta),
    champ,
    'less',
    cfg,
  ).pValue;
  const stats = { gain, ci: shift(chal, champ, tail, cfg).ci, ciLevel: 1 - 2 * tail, pValue: better, naive: false };
  const at = `test ${testsDone}/${plan.test.length}, n=${n} vs ${champ.length}, alpha ${fmt(tail)} per test`;
  const last = testsDone === plan.test.length || n >= cfg.maxRepeats;

  if (better <= tail && ahead) return { decision: 'accept', reason: `significant gain ${fmt(gain)} (p=${fmt(better)}; ${at})`, ...stats };
  if (worse <= tail) return { decision: 'reject', reason: `significantly below min_delta ${fmt(cfg.minDelta)}: gain ${fmt(gain)} (${at})`, ...stats };
  if (last) {
    const why = better <= tail ? `significant but gain ${fmt(gain)} <= min_delta ${fmt(cfg.minDelta)}` : `not significant (p=${fmt(better)})`;
    return { decision: 'reject', reason: `${why} at max_repeats (${at})`, ...stats };
  }
  // Futility: a challenger not ahead now rarely becomes significant; its repeats are better spent on the next one.
  if (!ahead) return { decision: 'reject', reason: `futile: gain ${fmt(gain)} <= min_delta ${fmt(cfg.minDelta)} (p=${fmt(better)}; ${at})`, ...stats };
  const next = plan.test[testsDone];
  return more(`uncertain: gain ${fmt(gain)}, p=${fmt(better)} (${at})`, next, Math.max(champ.length, next));
}

/**
 * Decide on a simplification (llm-simplify): accepted when the program got smaller and the
 * objective is not significantly worse, instead of only when it is significantly better. A
 * noisy verifier measures both sides to the first test look before "not worse" is believed, and
 * the test uses the whole alpha (one look). `size` is code_size in bytes, champion and challenger.
 */
export function decideSimplify(
  champion: number[],
  challenger: number[],
  goal: 'maximize' | 'minimize',
  cfg: AcceptConfig,
  size: { champion: number; challenger: number },
): Verdict {
  validate(champion, challenger, cfg);
  const sign = goal === 'maximize' ? 1 : -1;
  const champ = champion.map((v) => sign * v);
  const chal = challenger.map((v) => sign * v);
  const gain = median(chal) - median(champ);
  const sizes = `code size ${size.champion} → ${size.challenger} bytes`;
  if (size.challenger >= size.champion) {
    return { decision: 'reject', reason: `simplification not smaller: ${sizes} (kept only when smaller)`, gain, naive: cfg.rule === 'better' };
  }
  const within = gain >= -cfg.minDelta;
  if (cfg.rule === 'better' || (allEqual(champ) && allEqual(chal))) {
    const how = cfg.rule === 'better' ? 'naive rule: median' : 'deterministic verifier: objective';
    return {
      decision: within ? 'accept' : 'reject',
      reason: `${within ? 'simpler and not worse' : 'simpler but worse'}: ${sizes}; ${how} ${within ? 'not worse' : 'worse'} (gain ${fmt(gain)}, min_delta ${fmt(cfg.minDelta)})`,
      gain,
      naive: cfg.rule === 'better',
    };
  }
  const need = looks(cfg).test[0];
  if (chal.length < need || champ.length < need) {
    return more(
      `simplification (${sizes}): measure both to ${need} samples before judging "not worse"`,
      Math.max(need, chal.length),
      Math.max(need, champ.length),
    );
  }
  const worse = test(
    chal.map((v) => v + cfg.minDelta),
    champ,
    'less',
    cfg,
  ).pValue;
  const stats = { gain, ci: shift(chal, champ, cfg.alpha, cfg).ci, ciLevel: 1 - 2 * cfg.alpha, pValue: worse, naive: false };
  if (worse <= cfg.alpha) return { decision: 'reject', reason: `simpler but significantly worse (p=${fmt(worse)}): ${sizes}, gain ${fmt(gain)}`, ...stats };
  return { decision: 'accept', reason: `simpler and not significantly worse (p=${fmt(worse)}): ${sizes}, gain ${fmt(gain)}`, ...stats };
}

/** How the challenger's median moved, in words whose sign agrees with the number. */
function medianMove(gain: number, ahead: boolean, minDelta: number): string {
  if (ahead) return `median better by ${fmt(gain)} (min_delta ${fmt(minDelta)})`;
  if (gain > 0) return `median better by only ${fmt(gain)}, not more than min_delta ${fmt(minDelta)}`;
  return gain === 0 ? 'median unchanged' : `median worse by ${fmt(-gain)}`;
}

function test(x: number[], y: number[], alternative: 'greater' | 'less', cfg: AcceptConfig) {
  return cfg.test === 'welch' ? welch(x, y, alternative) : mannWhitney(x, y, alternative);
}

function shift(x: number[], y: number[], tail: number, cfg: AcceptConfig): ShiftEstimate {
  return cfg.test === 'welch' ? welchInterval(x, y, tail) : hodgesLehmann(x, y, tail);
}

function more(reason: string, wantChallenger: number, wantChampion: number): Verdict {
  return { decision: 'more', reason, wantChallenger, wantChampion };
}

function validate(champion: number[], challenger: number[], cfg: AcceptConfig): void {
  if (champion.length === 0 || challenger.length === 0) {
    throw new Error(
      `decide: champion has ${champion.length} and challenger ${challenger.length} samples; measure each at least once (initialRepeats) before deciding`,
    );
  }
  for (const v of [...champion, ...challenger]) {
    if (!Number.isFinite(v)) throw new Error(`decide: objective sample ${v} is not a finite number; record that run as failed instead of scoring it`);
  }
  if (!(cfg.alpha > 0 && cfg.alpha < 0.5)) throw new Error(`accept.alpha must be in (0, 0.5), got ${cfg.alpha}`);
  if (!(Number.isInteger(cfg.maxRepeats) && cfg.maxRepeats >= 2)) throw new Error(`accept.max_repeats must be an integer >= 2, got ${cfg.maxRepeats}`);
  if (!(cfg.minDelta >= 0)) throw new Error(`accept.min_delta must be >= 0 (objective units), got ${cfg.minDelta}`);
}

function allEqual(values: number[]): boolean {
  return values.every((v) => v === values[0]);
}

function fmt(v: number): string {
  return Number.isFinite(v) ? Number(v.toPrecision(4)).toString() : String(v);
}
