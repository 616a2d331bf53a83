import { describe, it, expect } from 'vitest';
import { DEFAULT_ACCEPT, decide, initialRepeats, looks, type AcceptConfig, type Verdict } from './acceptance.js';

// The Mann–Whitney racing rule (the default is now `pooled`, tested in pooled-acceptance.test.ts).
const cfg: AcceptConfig = { ...DEFAULT_ACCEPT, rule: 'significant' };
const champion10 = [100.3, 99.1, 100.9, 99.6, 100.1, 99.8, 100.5, 99.4, 100.2, 99.9];

describe('plan', () => {
  it('screens at 1 and 2 samples and tests at 4, 7, 10 by default', () => {
    expect(looks(cfg)).toEqual({ screen: [1, 2], test: [4, 7, 10] });
    expect(looks({ ...cfg, maxRepeats: 3 })).toEqual({ screen: [1, 2], test: [3] });
  });

  it('starts every challenger with one repeat', () => {
    expect(initialRepeats([7, 7, 7, 7, 7], cfg)).toBe(1);
    expect(initialRepeats([7, 7.2, 6.9], cfg)).toBe(1);
  });
});

describe('decide on a deterministic verifier', () => {
  const base = [5, 5, 5, 5, 5];
  it('decides exactly from one sample each: strictly better wins', () => {
    expect(decide(base, [6], 'maximize', cfg)).toMatchObject({ decision: 'accept', gain: 1, naive: false });
    expect(decide(base, [5], 'maximize', cfg)).toMatchObject({ decision: 'reject', gain: 0 });
    expect(decide([6], [5], 'minimize', cfg)).toMatchObject({ decision: 'accept', gain: 1 });
  });

  it('respects min_delta', () => {
    expect(decide(base, [6], 'maximize', { ...cfg, minDelta: 1 }).decision).toBe('reject');
    expect(decide(base, [6.5], 'maximize', { ...cfg, minDelta: 1 }).decision).toBe('accept');
  });
});

describe('decide on a noisy verifier', () => {
  it('screens: a first sample behind the champion is rejected, one ahead asks for more', () => {
    expect(decide(champion10, [99], 'maximize', cfg)).toMatchObject({ decision: 'reject', reason: expect.stringMatching(/screening/) });
    expect(decide(champion10, [101], 'maximize', cfg)).toMatchObject({ decision: 'more', wantChallenger: 2, wantChampion: 10 });
    expect(decide(champion10, [101, 100.6], 'maximize', cfg)).toMatchObject({ decision: 'more', wantChallenger: 4 });
  });

  it('accepts a clearly better challenger at the first test, with gain, interval and p-value', () => {
    const v = decide(champion10, [103, 104, 103.5, 102.8], 'maximize', cfg);
    expect(v).toMatchObject({ decision: 'accept', naive: false });
    if (v.decision === 'more') throw new Error('unreachable');
    expect(v.gain).toBeCloseTo(103.25 - 100, 10);
    expect(v.pValue).toBeLessThanOrEqual(0.05 / 3);
    expect(v.ci![0]).toBeGreaterThan(0);
    expect(v.ciLevel).toBeCloseTo(1 - 0.1 / 3, 12);
  });

  it('asks the champion to catch up before testing', () => {
    const v = decide([100, 100.4, 99.7], [103, 104, 103.5, 102.8], 'maximize', cfg);
    expect(v).toMatchObject({ decision: 'more', wantChallenger: 4, wantChampion: 4 });
  });

  it('rejects a clearly worse challenger early', () => {
    const v = decide(champion10, [97, 96.5, 97.2, 96.8], 'maximize', cfg);
    expect(v).toMatchObject({ decision: 'reject', reason: expect.stringMatching(/significantly below/) });
  });

  it('asks for more repeats when ahead but uncertain', () => {
    const v = decide(champion10, [100.4, 99.9, 100.8, 100.1], 'maximize', cfg);
    expect(v).toMatchObject({ decision: 'more', wantChallenger: 7, wantChampion: 10 });
  });

  it('forces a verdict at max_repeats', () => {
    const chal = [100.4, 99.9, 100.8, 100.1, 100.2, 99.5, 100.6, 99.8, 100.3, 100.0];
    const v = decide(champion10, chal, 'maximize', cfg);
    expect(v).toMatchObject({ decision: 'reject', reason: expect.stringMatching(/max_repeats/) });
    expect(decide(champion10.slice(0, 4), chal.slice(0, 4), 'maximize', { ...cfg, maxRepeats: 4 }).decision).not.toBe('more');
  });

  it('does not accept a significant gain that is not above min_delta', () => {
    const v = decide(champion10, [103, 104, 103.5, 102.8], 'maximize', { ...cfg, minDelta: 5 });
    expect(v).toMatchObject({ decision: 'reject', reason: expect.stringMatching(/below min_delta 5/) });
  });

  it('handles goal minimize: lower is better and the gain is positive', () => {
    const v = decide(champion10, [97, 96.5, 97.2, 96.8], 'minimize', cfg);
    expect(v).toMatchObject({ decision: 'accept' });
    if (v.decision !== 'more') expect(v.gain).toBeCloseTo(100 - 96.9, 10);
    expect(decide(champion10, [103], 'minimize', cfg).decision).toBe('reject');
  });

  it('explains bad input', () => {
    expect(() => decide([], [1], 'maximize', cfg)).toThrow(/initialRepeats/);
    expect(() => decide([1, 2], [Infinity], 'maximize', cfg)).toThrow(/not a finite number/);
    expect(() => decide([1, 2], [3], 'maximize', { ...cfg, alpha: 0 })).toThrow(/accept.alpha/);
  });
});

describe("the 'better' rule", () => {
  const naive: AcceptConfig = { ...cfg, rule: 'better' };
  it('compares medians once, never asks for more, and says it is naive', () => {
    expect(decide(champion10, [100.2], 'maximize', naive)).toMatchObject({ decision: 'accept', naive: true, reason: expect.stringMatching(/naive/) });
    expect(decide(champion10, [99.9], 'maximize', naive)).toMatchObject({ decision: 'reject', naive: true });
    expect(decide(champion10, [100.2, 101], 'maximize', { ...naive, minDelta: 1 }).decision).toBe('reject');
  });

  it("says worse, unchanged or too small in words that agree with the number's sign", () => {
    expect(decide([10], [9.728], 'maximize', naive).reason).toBe('naive rule: median worse by 0.272, no significance test');
    expect(decide([10], [10.272], 'minimize', naive).reason).toBe('naive rule: median worse by 0.272, no significance test');
    expect(decide([10], [10], 'maximize', naive).reason).toBe('naive rule: median unchanged, no significance test');
    expect(decide([10], [10.5], 'maximize', { ...naive, minDelta: 1 }).reason).toBe(
      'naive rule: median better by only 0.5, not more than min_delta 1, no significance test',
    );
    expect(decide([10], [12], 'maximize', naive).reason).toBe('naive rule: median better by 2 (min_delta 0), no significance test');
  });
});

describe('false accepts in simulation', () => {
  // Seeded so the test cannot flake: mulberry32 + Box–Muller.
  function rng(seed: number) {
    let a = seed >>> 0;
    const uniform = () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = Math.imul(a ^ (a >>> 15), a | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  }
  function race(effect: number, noise: () => number): Verdict {
    const champ = Array.from({ length: cfg.baselineRepeats }, () => 100 + noise());
    const chal: number[] = [];
    const fill = (xs: number[], n: number, mean: number) => {
      while (xs.length < n) xs.push(mean + noise());
    };
    fill(chal, initialRepeats(champ, cfg), 100 + effect);
    for (;;) {
      const v = decide(champ, chal, 'maximize', cfg);
      if (v.decision !== 'more') return v;
      fill(chal, v.wantChallenger, 100 + effect);
      fill(champ, v.wantChampion, 100);
    }
  }
  const rate = (effect: number, noise: () => number, trials: number) =>
    Array.from({ length: trials }, () => race(effect, noise)).filter((v) => v.decision === 'accept').length / trials;

  it('keeps neutral challengers at most ~5% of the time (Gaussian and heavy-tailed noise)', () => {
    const gauss = rng(1);
    const heavy = rng(2);
    const t3 = () => heavy() / Math.sqrt((heavy() ** 2 + heavy() ** 2 + heavy() ** 2) / 3) / Math.sqrt(3);
    expect(rate(0, gauss, 400)).toBeLessThanOrEqual(0.08);
    expect(rate(0, t3, 400)).toBeLessThanOrEqual(0.08);
  });

  it('still finds real improvements of 2 noise SDs', () => {
    expect(rate(2, rng(3), 300)).toBeGreaterThanOrEqual(0.8);
  });
});
