import { describe, expect, it } from 'vitest';
import { compileObjective, improvement, parseExpression } from './fitness.js';

const score = (expr: string, metrics: Record<string, number> = {}) => compileObjective({ expr, goal: 'maximize' }).score(metrics);
const value = (expr: string, metrics: Record<string, number> = {}) => {
  const s = score(expr, metrics);
  if (!('score' in s)) throw new Error(`no score: ${JSON.stringify(s)}`);
  return s.score;
};

describe('objective expressions', () => {
  it.each([
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['10 - 4 - 3', 3],
    ['12 / 3 / 2', 2],
    ['2 ^ 3 ^ 2', 512], // right-associative
    ['2 ** 10', 1024],
    ['-2 ^ 2', -4], // unary minus binds looser than ^
    ['-(3 - 5)', 2],
    ['1.5e3 + .5', 1500.5],
    ['max(1, 7, 3) - min(4, 2)', 5],
    ['abs(-3) + sqrt(16) + log2(8) + log10(100) + pow(2, 5)', 3 + 4 + 3 + 2 + 32],
    ['exp(log(5))', 5],
  ])('%s = %d', (expr, expected) => {
    expect(value(expr)).toBeCloseTo(expected, 10);
  });

  it('reads metrics by name, dotted names included', () => {
    expect(value('fmax * coremark_per_cycle', { fmax: 100, coremark_per_cycle: 2.5 })).toBe(250);
    expect(value('train.loss + 2 * val.loss', { 'train.loss': 1, 'val.loss': 0.5 })).toBe(2);
  });

  it('lists the metrics it needs', () => {
    expect(compileObjective({ expr: 'a / (b + max(c, 1))', goal: 'minimize' }).metrics.sort()).toEqual(['a', 'b', 'c']);
    expect(compileObjective({ metric: 'ms', goal: 'minimize' }).metrics).toEqual(['ms']);
  });

  it('reports missing metrics instead of computing with undefined', () => {
    expect(score('a + b', { a: 1 })).toEqual({ missing: ['b'] });
    expect(compileObjective({ metric: 'score', goal: 'maximize' }).score({ other: 1 })).toEqual({ missing: ['score'] });
  });

  it('reports a result that is not finite (division by zero, log of zero)', () => {
    expect(score('a / b', { a: 1, b: 0 })).toEqual({ nonFinite: true });
    expect(score('log(a)', { a: 0 })).toEqual({ nonFinite: true });
    expect(score('sqrt(a)', { a: -1 })).toEqual({ nonFinite: true });
  });

  it.each([
    ['score * (', /unexpected end/],
    ['score +', /unexpected end/],
    ['(a + b', /expected "\)"/],
    ['a b', /unexpected "b"/],
    ['cube(a)', /unknown function cube/],
    ['a $ b', /unexpected "\$"/],
    ['', /unexpected end/],
  ])('rejects %j with a message and a fix', (expr, message) => {
    expect(() => parseExpression(expr)).toThrow(message);
    expect(() => parseExpression(expr)).toThrow(/objective\.expr .*Fix: use metric names, numbers/);
  });
});

describe('improvement', () => {
  it('is positive when the first value is better under the goal', () => {
    expect(improvement(5, 3, 'maximize')).toBe(2);
    expect(improvement(3, 5, 'maximize')).toBe(-2);
    expect(improvement(3, 5, 'minimize')).toBe(2);
    expect(improvement(5, 5, 'minimize')).toBe(0);
  });
});
