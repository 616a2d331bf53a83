import { describe, expect, it } from 'vitest';
import { hintFor, parseHint } from './hints.js';

describe('parseHint', () => {
  it('reads a range in either order', () => {
    expect(parseHint('// evoloop: 0..1')).toEqual({ range: { min: 0, max: 1, log: false, integer: false } });
    expect(parseHint('# evoloop: 10..-10')).toEqual({ range: { min: -10, max: 10, log: false, integer: false } });
    expect(parseHint('/* evoloop: 1e-4..0.5 */')).toEqual({ range: { min: 1e-4, max: 0.5, log: false, integer: false } });
  });

  it('reads log, int and step (as `step S` or `step=S`)', () => {
    expect(parseHint('# evoloop: 1e-4..1e-1 log')).toEqual({ range: { min: 1e-4, max: 0.1, log: true, integer: false } });
    expect(parseHint('# evoloop: 1..256 int')).toEqual({ range: { min: 1, max: 256, log: false, integer: true } });
    expect(parseHint('# evoloop: 0..1 step 0.05')).toEqual({ range: { min: 0, max: 1, log: false, integer: false, step: 0.05 } });
    expect(parseHint('# evoloop: 0..100 int step=10')).toEqual({ range: { min: 0, max: 100, log: false, integer: true, step: 10 } });
    expect(parseHint('# evoloop: 2..64 log int')).toEqual({ range: { min: 2, max: 64, log: true, integer: true } });
  });

  it('lets a note follow the hint after punctuation', () => {
    expect(parseHint('# evoloop: 0.01..1 log; fraction of the width')).toMatchObject({ range: { log: true } });
    expect(parseHint('# evoloop: 0..1 (fraction)')).toMatchObject({ range: { min: 0, max: 1 } });
  });

  it('is undefined without `evoloop:`', () => {
    expect(parseHint('# a plain comment with 0..1')).toBeUndefined();
  });

  it('explains hints it cannot honour', () => {
    expect(parseHint('# evoloop: 0.5')).toEqual({ error: expect.stringMatching(/expected `evoloop: min\.\.max \[log\] \[int\] \[step S\]`/) });
    expect(parseHint('# evoloop: 3..3')).toEqual({ error: expect.stringMatching(/single value/) });
    expect(parseHint('# evoloop: 0..1 lgo')).toEqual({ error: expect.stringMatching(/"lgo" is not an option/) });
    expect(parseHint('# evoloop: 0..10 log')).toEqual({ error: expect.stringMatching(/log scale needs bounds of one sign/) });
    expect(parseHint('# evoloop: -1..5 log')).toEqual({ error: expect.stringMatching(/log scale/) });
    expect(parseHint('# evoloop: 1..10 log step 1')).toEqual({ error: expect.stringMatching(/do not combine/) });
    expect(parseHint('# evoloop: 0..1 step')).toEqual({ error: expect.stringMatching(/step needs a number/) });
    expect(parseHint('# evoloop: 0..1 step 0')).toEqual({ error: expect.stringMatching(/above 0/) });
    expect(parseHint('# evoloop: 0..1 step 2')).toEqual({ error: expect.stringMatching(/wider than the range/) });
    expect(parseHint('# evoloop: 0.2..0.8 int')).toEqual({ error: expect.stringMatching(/at most one whole number/) });
  });
});

describe('hintFor', () => {
  it('makes an integer literal move in whole steps', () => {
    expect(hintFor({ min: 0, max: 20, log: false, integer: false }, true)).toEqual({ range: { min: 0, max: 20, log: false, integer: true } });
    expect(hintFor({ min: 0, max: 2, log: false, integer: false, step: 0.5 }, true)).toEqual({ error: expect.stringMatching(/not whole/) });
    expect(hintFor({ min: 0, max: 2, log: false, integer: false, step: 0.5 }, false)).toMatchObject({ range: { step: 0.5 } });
  });
});
