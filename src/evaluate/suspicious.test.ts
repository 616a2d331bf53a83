import { describe, expect, it } from 'vitest';
import { suspiciousFlags } from './suspicious.js';

const patch = (from: string, to: string) => `--- a/solver.py\n+++ b/solver.py\n@@ -1 +1 @@\n-${from}\n+${to}\n`;
const special = (input: Parameters<typeof suspiciousFlags>[0]) => suspiciousFlags(input).includes('suspicious:special-cases-feedback');

describe('suspicious:special-cases-feedback', () => {
  it('flags an added number the feedback showed as a whole token', () => {
    expect(special({ patch: patch('rate = 0.3', 'if x == 0.053275: return 1'), feedback: ['score 0.053275 on case 7'], protectedPaths: [] })).toBe(true);
    expect(special({ patch: patch('x = 1', 'answer = "case-seven"'), feedback: ['expected "case-seven" here'], protectedPaths: [] })).toBe(true);
  });

  it('does not flag a literal that is only part of a number in the feedback (0.05 in 0.053275)', () => {
    expect(special({ patch: patch('rate = 0.3', 'rate = 0.05'), feedback: ['score 0.053275'], protectedPaths: [] })).toBe(false);
    expect(special({ patch: patch('rate = 0.3', 'rate = 1234'), feedback: ['took 12345 ms'], protectedPaths: [] })).toBe(false);
  });

  it('does not flag a number the parent already had', () => {
    const parent = 'limit = 0.0533\nrate = 0.3\n';
    expect(special({ patch: patch('rate = 0.3', 'rate = 0.0533'), feedback: ['best 0.0533.'], protectedPaths: [], parentFiles: [parent] })).toBe(false);
    expect(special({ patch: patch('rate = 0.3', 'rate = 0.0533'), feedback: ['best 0.0533.'], protectedPaths: [], parentFiles: ['rate = 0.3\n'] })).toBe(true);
  });

  it('does not flag when there is no feedback (an operator that does not see it gets none)', () => {
    expect(special({ patch: patch('rate = 0.3', 'rate = 0.053275'), feedback: [], protectedPaths: [] })).toBe(false);
  });
});
