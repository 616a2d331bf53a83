import { describe, expect, it } from 'vitest';
import { findLiterals, formatLiteral, type Literal } from './literals.js';

const values = (src: string) => findLiterals(src).map((l) => l.value);

describe('findLiterals', () => {
  it('finds integers, decimals, exponents and hex, and says which are integers', () => {
    const lits = findLiterals('a = 3; b = 0.25; c = 1e-3; d = .5; e = 0xff; f = 2.;');
    expect(lits.map((l) => [l.value, l.integer])).toEqual([
      [3, true],
      [0.25, false],
      [0.001, false],
      [0.5, false],
      [255, true],
      [2, false],
    ]);
  });

  it('gives offsets that cover the literal text exactly', () => {
    const src = 'rate = 0.125; n = 40';
    for (const l of findLiterals(src)) expect(Number(src.slice(l.start, l.end))).toBe(l.value);
  });

  it('ignores numbers in comments of every common syntax', () => {
    const src = [
      'x = 1 // 2 in a line comment',
      '/* 3 in a block',
      '   comment 4 */ y = 5',
      'z = 6 # 7 in a shell or Python comment',
    ].join('\n');
    expect(values(src)).toEqual([1, 5, 6]);
  });

  it('ignores numbers in strings, escaped quotes and template literals included', () => {
    const src = `a = "v2.0"; b = 'it\\'s 3'; c = \`line 4
still 5\`; d = 6`;
    expect(values(src)).toEqual([6]);
  });

  it('ignores numbers in Python triple-quoted strings spanning lines', () => {
    const src = 'def f():\n    """Runs 3 passes.\n\n    Returns 4 values.\n    """\n    passes = 7\n    s = \'\'\'x\n9\n\'\'\'\n';
    expect(values(src)).toEqual([7]);
  });

  it('does not take digits of identifiers for literals', () => {
    expect(values('x1 = var2 + log10(a3) * 5; float32 = 1')).toEqual([5, 1]);
  });

  it('treats a minus as a sign only where a value starts', () => {
    const src = 'a = -3; b = x - 4; c = f(-2.5, 1); d = [-1]; return -7';
    const lits = findLiterals(src);
    expect(lits.map((l) => [l.value, l.signed])).toEqual([
      [-3, true],
      [4, false],
      [-2.5, true],
      [1, false],
      [-1, true],
      [-7, true],
    ]);
    expect(src.slice(lits[0].start, lits[0].end)).toBe('-3');
  });

  it('only looks inside EVOLVE-BLOCK regions when the file has them', () => {
    const src = 'const fixed = 100;\n// EVOLVE-BLOCK-START\nconst tuned = 0.5;\n// EVOLVE-BLOCK-END\nconst also = 200;\n';
    expect(values(src)).toEqual([0.5]);
  });

  it('reads `evoloop: min..max` hints on the literal line, in either order', () => {
    const src = 'a = 0.3 // evoloop: 0..1\nb = 5 # evoloop: 10..-10\nc = 2 // evoloop: 3..3\nd = 4';
    const lits = findLiterals(src);
    expect(lits.map((l) => l.range)).toEqual([[0, 1], [-10, 10], undefined, undefined]);
    expect(lits.map((l) => l.line)).toEqual([1, 2, 3, 4]);
  });
});

describe('formatLiteral', () => {
  const lit = (over: Partial<Literal>): Literal => ({ start: 0, end: 1, value: 1, integer: false, signed: false, line: 1, ...over });

  it('keeps integers integral', () => {
    expect(formatLiteral(lit({ integer: true }), 7.6)).toBe('8');
    expect(formatLiteral(lit({ integer: true, signed: true }), -2.2)).toBe('-2');
  });

  it('keeps floats recognisably floats, at 6 significant digits', () => {
    expect(formatLiteral(lit({}), 2)).toBe('2.0');
    expect(formatLiteral(lit({}), 0.123456789)).toBe('0.123457');
    expect(formatLiteral(lit({}), 1e-9)).toBe('1e-9');
  });

});
