import { describe, expect, it } from 'vitest';
import { seededRandom } from '../core/random.js';
import { DEFAULT_ACCEPT, decide, initialRepeats, type AcceptConfig, type Verdict } from './acceptance.js';
import { classifyNoise, NoisePool, type NoiseKind } from './noise-model.js';

const cfg: AcceptConfig = { ...DEFAULT_ACCEPT, rule: 'pooled' };
/** The run's noise: SD 1 around 100, known from 24 degrees of freedom. */
const machine = { kind: 'machine' as const, pool: { variance: 1, df: 24 } };
const champion = [100.3, 99.1, 100.9, 99.6, 100.1];

function gauss(rng: () => number) {
  return () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

describe('the pooled rule, one look at a time', () => {
  it('is the default, starts with one sample and rejects a first sample that is not clearly ahead', () => {
    expect(DEFAULT_ACCEPT.rule).toBe('pooled');
    expect(initialRepeats([1, 2, 3], cfg)).toBe(1);
    const v = decide(champion, [100.2], 'maximize', cfg, machine);
    expect(v).toMatchObject({ decision: 'reject', reason: expect.stringMatching(/^futile: .*unpaired, pooled noise SD/) });
  });

  it('never accepts on fewer than 3 samples: a significant gain at 1 or 2 asks for one more', () => {
    for (const chal of [[104], [104, 103.6]])
      expect(decide(champion, chal, 'maximize', cfg, machine)).toMatchObject({
        decision: 'more',
        wantChallenger: chal.length + 1,
        reason: expect.stringMatching(/one more sample before accepting \(an accept needs 3 samples\)/),
      });
  });

  it('accepts a significant gain at 3 samples with a consistent spread, with gain, interval and p-value', () => {
    const v = decide(champion, [104, 103.6, 103.9], 'maximize', cfg, machine);
    expect(v).toMatchObject({ decision: 'accept', samples: 3, naive: false, reason: expect.stringMatching(/at n=3, spread consistent/) });
    if (v.decision === 'more') throw new Error('unreachable');
    expect(v.gain).toBeCloseTo(103.8333 - 100, 3); // the difference of means
    expect(v.pValue).toBeLessThanOrEqual(DEFAULT_ACCEPT.alpha / 2);
    expect(v.ci![0]).toBeGreaterThan(0);
  });

  it('with a consistent spread a significant look stands alone: it needs no significant look before it', () => {
    // At 2 samples t is about 1.8: uncertain, measure to the next look (4).
    expect(decide(champion, [101.4, 101.5], 'maximize', cfg, machine)).toMatchObject({ decision: 'more', wantChallenger: 4 });
    // At 4, t is about 2.8 with a spread like the pool's; the first 3 alone (t about 1.9) were not significant.
    expect(decide(champion, [101.4, 101.5, 101.3], 'maximize', cfg, machine).decision).not.toBe('accept');
    expect(decide(champion, [101.4, 101.5, 101.3, 103.4], 'maximize', cfg, machine)).toMatchObject({
      decision: 'accept',
      samples: 4,
      reason: expect.stringMatching(/at n=4, spread consistent/),
    });
  });

  it('does not accept when the later samples fall back', () => {
    const v = decide(champion, [104, 103.6, 99.5], 'maximize', cfg, machine);
    expect(v.decision).not.toBe('accept');
  });

  it('a spread inconsistent with the pooled noise gets more samples before any accept, judged on its own spread', () => {
    // Mean well ahead, but the two samples are 8 SDs of the run's noise apart.
    const v = decide(champion, [112, 104], 'maximize', cfg, machine);
    expect(v).toMatchObject({ decision: 'more', reason: expect.stringMatching(/inconsistent with the pooled noise/) });
    if (v.decision !== 'more') throw new Error('unreachable');
    expect(v.wantChallenger).toBeGreaterThanOrEqual(4);
    // The same mean with a consistent spread is accepted.
    expect(decide(champion, [108.3, 107.7, 108], 'maximize', cfg, machine).decision).toBe('accept');
    // Judged on its own spread, an accept needs a confirmation: significant before its latest sample too.
    const wide = [112, 104, 109, 105];
    expect(decide(champion, wide, 'maximize', cfg, machine)).toMatchObject({
      decision: 'more',
      reason: expect.stringMatching(/confirmation sample, judged on its own spread/),
    });
    expect(decide(champion, [...wide, 108], 'maximize', cfg, machine)).toMatchObject({
      decision: 'accept',
      reason: expect.stringMatching(/confirmed by sample 5 .*inconsistent/),
    });
  });

  it('rejects a clearly worse challenger at once, and respects min_delta and goal minimize', () => {
    expect(decide(champion, [96], 'maximize', cfg, machine)).toMatchObject({
      decision: 'reject',
      reason: expect.stringMatching(/significantly below min_delta 0/),
    });
    expect(decide(champion, [104, 103.6, 103.9], 'maximize', { ...cfg, minDelta: 5 }, machine).decision).toBe('reject');
    expect(decide(champion, [96, 96.4, 96.1], 'minimize', cfg, machine)).toMatchObject({ decision: 'accept' });
  });

  it('asks the champion for its minimum repeats first, and without any pool judges on the champion’s own spread', () => {
    expect(decide([100, 100.4], [104], 'maximize', cfg, machine)).toMatchObject({ decision: 'more', wantChallenger: 1, wantChampion: 4 });
    const v = decide(champion, [104], 'maximize', cfg);
    expect(v).toMatchObject({ decision: 'more', reason: expect.stringMatching(/pooled noise SD/) });
  });
});

describe('paired by seed', () => {
  // Seed effects of ±5 dwarf the machine noise (±0.05): the challenger is better by 0.5 on every seed.
  const seeds = [4.1, -3.2, 5, -4.4, 0.7];
  const champ = seeds.map((s, i) => 100 + s + [0.03, -0.02, 0.01, -0.04, 0.02][i]);
  const chal = seeds.slice(0, 3).map((s, i) => 100.5 + s + [0.01, 0, -0.01][i]);
  const pool = new NoisePool('seed');
  pool.observeBaseline(
    1,
    champ,
    seeds.map((s, i) => 100 + s + [-0.02, 0.03, -0.01, 0.02, 0][i]),
  );

  it('compares seed by seed when the noise is seed-driven: the gain is plain at three samples', () => {
    const v = decide(champ, chal, 'maximize', cfg, { kind: 'seed', pool: pool.estimate() });
    expect(v).toMatchObject({ decision: 'accept', reason: expect.stringMatching(/paired by seed/) });
    if (v.decision !== 'more') expect(v.gain).toBeCloseTo(0.5, 1);
  });

  it('unpaired, the same samples are lost in the seed variance', () => {
    const v = decide(champ, chal, 'maximize', cfg, { kind: 'machine', pool: { variance: 16, df: 24 } });
    expect(v.decision).not.toBe('accept');
  });
});

describe('the noise model', () => {
  it('is seed-driven when the same seed gives the same value, machine noise when it does not', () => {
    expect(classifyNoise([3, 7, 1, 9, 4], [3, 7, 1, 9, 4])).toEqual({ kind: 'seed', seedShare: 1, source: 'measured' });
    expect(classifyNoise([3, 7, 1, 9, 4], [3.1, 6.9, 1.1, 9, 4.05])).toMatchObject({ kind: 'seed', seedShare: expect.closeTo(1, 2) });
    const m = classifyNoise([10.2, 9.1, 11.0, 9.6, 10.4], [9.3, 10.8, 9.9, 10.6, 9.0]);
    expect(m.kind).toBe('machine');
    expect(m.seedShare).toBeLessThan(0.5);
    expect(() => classifyNoise([1, 2], [1])).toThrow(/2\+ seeds measured twice/);
  });

  it('pools the newest programs up to its window, and leaves out the challenger being judged', () => {
    const pool = new NoisePool('machine', 4);
    pool.observe({ id: 1, samples: [0, 2] }); // variance 2, 1 df
    for (let id = 2; id <= 5; id++) pool.observe({ id: 1, samples: [0, 2] }, { id, samples: [10, 10 + id] });
    // Newest first: 5 (12.5), 4 (8), 3 (4.5), and the champion 1 (2), re-set after candidate 2 → window of 4 df.
    expect(pool.estimate()).toEqual({ variance: (12.5 + 8 + 4.5 + 2) / 4, df: 4 });
    expect(pool.estimate(5)).toEqual({ variance: (8 + 4.5 + 2 + 2) / 4, df: 4 });
  });
});

describe('races against a run pool, in simulation', () => {
  // The rule raced as population/racing.ts races it: one pool per run, champion re-measured on demand.
  function acceptRate(kind: NoiseKind, effect: number, spread: number, trials: number, seed: number): number {
    const noise = gauss(seededRandom(seed));
    const seedEffects = Array.from({ length: 12 }, noise);
    const draw = (mean: number, i: number, s = 1) => mean + s * (kind === 'seed' ? 3 * seedEffects[i] + 0.2 * noise() : noise());
    const champ = Array.from({ length: 5 }, (_, i) => draw(100, i));
    const pool = new NoisePool(kind);
    pool.observeBaseline(
      0,
      champ,
      champ.map((_, i) => draw(100, i)),
    );
    let accepted = 0;
    for (let t = 1; t <= trials; t++) {
      const chal = [draw(100 + effect, 0, spread)];
      for (;;) {
        pool.observe({ id: 0, samples: champ }, { id: t, samples: chal });
        const v: Verdict = decide(champ, chal, 'maximize', cfg, { kind, pool: pool.estimate(t) });
        if (v.decision !== 'more') {
          if (v.decision === 'accept') accepted++;
          break;
        }
        while (chal.length < v.wantChallenger) chal.push(draw(100 + effect, chal.length, spread));
        while (champ.length < v.wantChampion) champ.push(draw(100, champ.length));
      }
    }
    return accepted / trials;
  }
  const runs = (f: (seed: number) => number) => [1, 2, 3, 4].reduce((s, seed) => s + f(seed), 0) / 4;

  it('keeps neutral challengers and variance inflators (same mean, 10x spread) at most ~5% of the time', () => {
    expect(runs((seed) => acceptRate('machine', 0, 1, 100, seed))).toBeLessThanOrEqual(0.06);
    expect(runs((seed) => acceptRate('machine', 0, 10, 100, seed + 10))).toBeLessThanOrEqual(0.06);
  });

  it('accepts gains of 2 noise SDs at least 80% of the time, and seed-driven gains of a fraction of the seed spread', () => {
    expect(runs((seed) => acceptRate('machine', 2, 1, 50, seed + 20))).toBeGreaterThanOrEqual(0.8);
    // 0.6 is 0.2 of the seed-driven spread (3): unpaired that is hopeless, paired it is 3 SDs of the machine noise (0.2).
    expect(runs((seed) => acceptRate('seed', 0.6, 1, 50, seed + 30))).toBeGreaterThanOrEqual(0.8);
    expect(runs((seed) => acceptRate('seed', 0, 1, 100, seed + 40))).toBeLessThanOrEqual(0.06);
  });
});
