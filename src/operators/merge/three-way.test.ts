import { diff3Merge } from 'node-diff3';
import { describe, expect, it } from 'vitest';
import { hunks, mergeLines } from './three-way.js';

const col = (...v: number[]) => v.map((x) => x.toFixed(3));

describe('three-way line merge', () => {
  it('aligns repeated lines by position, where a plain LCS diff reports a conflict', () => {
    const o = col(0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3);
    const a = col(0.9, 0.9, 0.9, 0.9, 0.3, 0.3, 0.3, 0.3);
    const b = col(0.3, 0.3, 0.3, 0.3, 0.8, 0.8, 0.8, 0.8);
    // node-diff3 matches a's unchanged lines to the ancestor's first four and sees a conflict.
    expect(diff3Merge(a, o, b, { excludeFalseConflicts: true }).some((r: { conflict?: unknown }) => r.conflict)).toBe(true);
    expect(hunks(o, a)).toEqual([{ start: 0, end: 4, lines: col(0.9, 0.9, 0.9, 0.9) }]);
    expect(mergeLines(a, o, b)).toEqual({ lines: col(0.9, 0.9, 0.9, 0.9, 0.8, 0.8, 0.8, 0.8), conflicts: 0 });
  });

  it('merges scattered changes to different lines, adjacent ones included', () => {
    const o = col(0.3, 0.3, 0.3, 0.3, 0.3, 0.3);
    const a = col(0.1, 0.3, 0.5, 0.3, 0.3, 0.3);
    const b = col(0.3, 0.2, 0.3, 0.3, 0.3, 0.6);
    expect(mergeLines(a, o, b)).toEqual({ lines: col(0.1, 0.2, 0.5, 0.3, 0.3, 0.6), conflicts: 0 });
  });

  it('keeps insertions and deletions of both sides', () => {
    const o = ['a', 'b', 'c', 'd', 'e'];
    const x = ['a', 'new', 'b', 'c', 'd', 'e'];
    const y = ['a', 'b', 'c', 'e', 'tail'];
    expect(mergeLines(x, o, y)).toEqual({ lines: ['a', 'new', 'b', 'c', 'e', 'tail'], conflicts: 0 });
  });

  it('counts a conflict where both changed the same line differently, and none where they agree', () => {
    const o = ['a', 'b', 'c', 'd'];
    expect(mergeLines(['a', 'B1', 'c', 'd'], o, ['a', 'B2', 'c', 'D'])).toEqual({ lines: undefined, conflicts: 1 });
    expect(mergeLines(['a', 'B', 'c', 'd'], o, ['a', 'B', 'c', 'D'])).toEqual({ lines: ['a', 'B', 'c', 'D'], conflicts: 0 });
    expect(mergeLines(['x', 'a', 'b', 'c', 'd'], o, ['y', 'a', 'b', 'c', 'd'])).toEqual({ lines: undefined, conflicts: 1 });
    expect(mergeLines(['A', 'b', 'C', 'd'], o, ['A2', 'b', 'C2', 'd'])).toEqual({ lines: undefined, conflicts: 2 });
  });

  it('where both replaced the same lines one for one, conflicts only on the lines both changed, and resolves each conflicting run', () => {
    const o = col(0.3, 0.3, 0.3, 0.3, 0.3, 0.3);
    const a = col(0.9, 0.9, 0.9, 0.2, 0.1, 0.3);
    const b = col(0.3, 0.5, 0.3, 0.8, 0.8, 0.8);
    // Lines 1 and 3–4 both changed differently (two conflicting runs); line 0, 2 and 5 one side each.
    expect(mergeLines(a, o, b)).toEqual({ lines: undefined, conflicts: 2 });
    const runs: [string[], string[]][] = [];
    const at: { start: number; end: number }[] = [];
    const theirs = (m: string[], t: string[], where: { start: number; end: number }) => (runs.push([m, t]), at.push(where), t);
    expect(mergeLines(a, o, b, theirs)).toEqual({ lines: col(0.9, 0.5, 0.9, 0.8, 0.8, 0.8), conflicts: 2 });
    expect(runs).toEqual([
      [col(0.9), col(0.5)],
      [col(0.2, 0.1), col(0.8, 0.8)],
    ]);
    expect(at).toEqual([
      { start: 1, end: 2 },
      { start: 3, end: 5 },
    ]);
    expect(mergeLines(a, o, b, (m) => m).lines).toEqual(col(0.9, 0.9, 0.9, 0.2, 0.1, 0.8));
  });

  it('pairs replaced lines one for one rather than shift them around a line equal by chance, so a merge duplicates none', () => {
    const o = col(0.649, 0.089, 0.339, 0.913, 0.345, 0.876, 0.359, 0.894);
    const a = col(0.649, 0.092, 0.35, 0.886, 0.345, 0.887, 0.356, 0.894);
    // b's 0.894 on line 5 equals the ancestor's line 7: a plain LCS diff matches them (one more
    // match) and sees lines 5-6 deleted and two lines inserted at the end, which the merge appends.
    const b = col(0.649, 0.089, 0.34, 0.913, 0.345, 0.894, 0.356, 0.89);
    expect(hunks(o, b)).toEqual([
      { start: 2, end: 3, lines: col(0.34) },
      { start: 5, end: 8, lines: col(0.894, 0.356, 0.89) },
    ]);
    expect(mergeLines(a, o, b, (m) => m).lines).toEqual(col(0.649, 0.092, 0.35, 0.886, 0.345, 0.887, 0.356, 0.89));
  });

  it('returns the other side when one side is the ancestor', () => {
    const o = ['a', 'b'];
    expect(mergeLines(o, o, ['a', 'c'])).toEqual({ lines: ['a', 'c'], conflicts: 0 });
    expect(mergeLines(['z', 'b'], o, o)).toEqual({ lines: ['z', 'b'], conflicts: 0 });
  });
});
