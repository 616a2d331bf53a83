import { describe, expect, it } from 'vitest';
import { describeRange, fromUnit, inferRange, snap, toUnit } from './domain.js';

describe('inferRange: conservative, from the value alone', () => {
  it('keeps the sign and moves half to double, a fraction staying at most 1', () => {
    expect(inferRange(0.3, false)).toEqual({ min: 0.15, max: 0.6, log: false, integer: false });
    expect(inferRange(0.7, false)).toEqual({ min: 0.35, max: 1, log: false, integer: false });
    expect(inferRange(-2.5, false)).toEqual({ min: -5, max: -1.25, log: false, integer: false });
  });

  it('keeps integers integral, at least 1 apart from 0', () => {
    expect(inferRange(3, true)).toEqual({ min: 2, max: 6, log: false, integer: true });
    expect(inferRange(2, true)).toEqual({ min: 1, max: 4, log: false, integer: true });
    expect(inferRange(-7, true)).toEqual({ min: -14, max: -4, log: false, integer: true });
  });

  it('moves powers of ten and round counts on a log scale, a decade either way', () => {
    expect(inferRange(1e-3, false)).toEqual({ min: 1e-4, max: 0.01, log: true, integer: false });
    expect(inferRange(1, false)).toEqual({ min: 0.1, max: 10, log: true, integer: false });
    expect(inferRange(1000, true)).toEqual({ min: 100, max: 10000, log: true, integer: true });
    expect(inferRange(50, true)).toEqual({ min: 5, max: 500, log: true, integer: true });
    expect(inferRange(256, true)).toEqual({ min: 26, max: 2560, log: true, integer: true });
    expect(inferRange(1, true)).toEqual({ min: 1, max: 10, log: true, integer: true });
  });

  it('moves a decay factor by its distance from 1', () => {
    expect(inferRange(0.995, false)).toEqual({ min: 0.99, max: 0.9975, log: false, integer: false });
    expect(inferRange(0.9, false)).toEqual({ min: 0.8, max: 0.95, log: false, integer: false });
  });

  it('has no range for 0', () => {
    expect(inferRange(0, false)).toBeUndefined();
  });

  it('prints as the hint that reproduces it', () => {
    expect(describeRange({ min: 1e-4, max: 0.01, log: true, integer: false })).toBe('evoloop: 0.0001..0.01 log');
    expect(describeRange({ min: 2, max: 6, log: false, integer: true })).toBe('evoloop: 2..6 int');
    expect(describeRange({ min: 0, max: 1, log: false, integer: false, step: 0.05 })).toBe('evoloop: 0..1 step 0.05');
  });
});

describe('unit mapping', () => {
  it('round-trips on linear and log scales', () => {
    const lin = { min: 0, max: 10, log: false, integer: false };
    const log = { min: 1e-4, max: 1, log: true, integer: false };
    expect(toUnit(lin, 2.5)).toBe(0.25);
    expect(fromUnit(lin, 0.25)).toBe(2.5);
    expect(toUnit(log, 1e-2)).toBeCloseTo(0.5, 12);
    expect(fromUnit(log, 0.5)).toBeCloseTo(1e-2, 12);
    expect(fromUnit({ min: -100, max: -1, log: true, integer: false }, 0.5)).toBeCloseTo(-10, 9);
  });

  it('clamps to the range and snaps to its grid', () => {
    const grid = { min: 0, max: 1, log: false, integer: false, step: 0.3 };
    expect(snap(grid, 0.44)).toBe(0.3);
    expect(snap(grid, 0.97)).toBe(0.9); // the last grid point inside the range
    expect(snap({ min: 1, max: 10, log: true, integer: true }, 3.4)).toBe(3);
    expect(fromUnit({ min: 0, max: 1, log: false, integer: false }, 1.7)).toBe(1);
    expect(toUnit({ min: 0, max: 1, log: false, integer: false }, -3)).toBe(0);
  });
});
