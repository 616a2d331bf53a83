import { describe, it, expect } from 'vitest';
import { hodgesLehmann, mannWhitney, noiseFloor, welch, welchInterval } from './statistics.js';

// Hollander & Wolfe example used in R's ?wilcox.test; reference values from R / scipy 1.17.
const x = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
const y = [1.15, 0.88, 0.9, 0.74, 1.21];

describe('mannWhitney', () => {
  it('matches the exact p-values of R and scipy when there are no ties', () => {
    const g = mannWhitney(x, y, 'greater');
    expect(g).toMatchObject({ statistic: 35, method: 'exact' });
    expect(g.pValue).toBeCloseTo(0.1272061272, 9);
    expect(mannWhitney(x, y, 'less').pValue).toBeCloseTo(0.8967698968, 9);
  });

  it('gives the smallest exact p-value 1/C(m+n, m) for complete separation', () => {
    expect(mannWhitney([10, 11, 12], [1, 2, 3, 4, 5], 'greater').pValue).toBeCloseTo(1 / 56, 12);
    expect(mannWhitney([10, 11, 12], [1, 2, 3, 4, 5], 'less').pValue).toBe(1);
  });

  it('uses the tie-corrected normal approximation with continuity correction when values tie', () => {
    const r = mannWhitney([1, 2, 2, 3, 4], [2, 3, 3, 5, 6, 6], 'less');
    expect(r).toMatchObject({ statistic: 6, method: 'normal' });
    expect(r.pValue).toBeCloseTo(0.0565249894, 8); // scipy asymptotic, use_continuity=True
  });

  it('uses the normal approximation for large samples', () => {
    const a = Array.from({ length: 30 }, (_, i) => i * 1.1);
    const b = Array.from({ length: 25 }, (_, i) => i + 3);
    const r = mannWhitney(a, b, 'greater');
    expect(r).toMatchObject({ statistic: 397, method: 'normal' });
    expect(r.pValue).toBeCloseTo(0.3581420564, 8);
  });

  it('returns p = 1 when every value is tied', () => {
    expect(mannWhitney([3, 3], [3, 3, 3], 'greater').pValue).toBe(1);
  });

  it('rejects non-finite input with a message naming the fix', () => {
    expect(() => mannWhitney([1, NaN], [2], 'greater')).toThrow(/not a finite number.*failed/);
  });
});

describe('welch', () => {
  it('matches scipy ttest_ind(equal_var=False)', () => {
    const r = welch(x, y, 'greater');
    expect(r.statistic).toBeCloseTo(2.0413830922, 8);
    expect(r.df).toBeCloseTo(12.9705384433, 8);
    expect(r.pValue).toBeCloseTo(0.0310506719, 8);
    const ci = welchInterval(x, y, 0.025).ci;
    expect(ci[0]).toBeCloseTo(-0.0197249963, 6);
    expect(ci[1]).toBeCloseTo(0.6937249963, 6);
  });

  it('needs two values per side to estimate a variance', () => {
    expect(() => welch([1], [1, 2], 'greater')).toThrow(/at least 2/);
  });
});

describe('hodgesLehmann', () => {
  it('estimates the shift as the median of pairwise differences, with the Moses interval', () => {
    const r = hodgesLehmann(x, y, 0.025);
    expect(r.estimate).toBeCloseTo(0.305, 10);
    expect(r.ci[0]).toBeCloseTo(-0.15, 10);
    expect(r.ci[1]).toBeCloseTo(0.76, 10);
  });

  it('has a lower bound above 0 exactly when the one-sided test is significant at the same level', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let trial = 0; trial < 200; trial++) {
      const a = Array.from({ length: 3 + (trial % 5) }, () => rand() + 0.3);
      const b = Array.from({ length: 4 + (trial % 3) }, () => rand());
      const significant = mannWhitney(a, b, 'greater').pValue <= 0.02;
      expect(hodgesLehmann(a, b, 0.02).ci[0] > 0).toBe(significant);
    }
  });

  it('is unbounded when the samples are too small for the level', () => {
    expect(hodgesLehmann([5, 6], [1, 2], 0.01).ci).toEqual([-Infinity, Infinity]);
  });
});

describe('noiseFloor', () => {
  it('reports median, raw MAD and the robust CV, unmoved by one outlier', () => {
    const f = noiseFloor([10, 11, 12, 13, 100]);
    expect(f).toMatchObject({ n: 5, median: 12, mad: 1 });
    expect(f.cv).toBeCloseTo(1.4826 / 12, 10);
  });

  it('says 0 for a deterministic verifier', () => {
    expect(noiseFloor([4, 4, 4])).toEqual({ n: 3, median: 4, mad: 0, cv: 0 });
  });
});
