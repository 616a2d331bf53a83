import { describe, expect, it } from 'vitest';
import { DEFAULT_ACCEPT, decideSimplify } from './acceptance.js';

const smaller = { champion: 1234, challenger: 980 };
const naive = { ...DEFAULT_ACCEPT, rule: 'better' as const };

describe('decideSimplify', () => {
  it('rejects a simplification that is not smaller, whatever its score, and says both sizes', () => {
    const v = decideSimplify([10], [12], 'maximize', DEFAULT_ACCEPT, { champion: 900, challenger: 900 });
    expect(v).toMatchObject({ decision: 'reject', reason: 'simplification not smaller: code size 900 → 900 bytes (kept only when smaller)' });
  });

  it('deterministic verifier: accepts smaller and equal, rejects smaller but worse (min_delta is the slack)', () => {
    expect(decideSimplify([10], [10], 'maximize', DEFAULT_ACCEPT, smaller)).toMatchObject({
      decision: 'accept',
      reason: 'simpler and not worse: code size 1234 → 980 bytes; deterministic verifier: objective not worse (gain 0, min_delta 0)',
    });
    expect(decideSimplify([10], [9.9], 'maximize', DEFAULT_ACCEPT, smaller)).toMatchObject({
      decision: 'reject',
      reason: expect.stringMatching(/^simpler but worse/),
    });
    expect(decideSimplify([10], [9.9], 'maximize', { ...DEFAULT_ACCEPT, minDelta: 0.2 }, smaller).decision).toBe('accept');
    // minimize: a lower value is better
    expect(decideSimplify([10], [11], 'minimize', DEFAULT_ACCEPT, smaller).decision).toBe('reject');
    expect(decideSimplify([10], [9], 'minimize', DEFAULT_ACCEPT, smaller).decision).toBe('accept');
  });

  it('noisy verifier: measures both to the first test look, then accepts unless significantly worse', () => {
    const champion = [10.1, 9.9, 10.0, 10.2, 9.8];
    const first = decideSimplify(champion, [10.0], 'maximize', DEFAULT_ACCEPT, smaller);
    expect(first).toMatchObject({ decision: 'more', wantChallenger: 4, reason: expect.stringMatching(/measure both to 4 samples/) });
    expect(decideSimplify(champion, [10.05, 9.95, 9.9, 10.1], 'maximize', DEFAULT_ACCEPT, smaller)).toMatchObject({
      decision: 'accept',
      reason: expect.stringMatching(/^simpler and not significantly worse \(p=[\d.]+\): code size 1234 → 980 bytes/),
    });
    expect(decideSimplify(champion, [8.1, 8.0, 7.9, 8.2], 'maximize', DEFAULT_ACCEPT, smaller)).toMatchObject({
      decision: 'reject',
      reason: expect.stringMatching(/^simpler but significantly worse \(p=[\d.]+\)/),
    });
  });

  it('the naive rule compares medians only, and is labelled naive', () => {
    expect(decideSimplify([10, 11], [10.5, 10.5], 'maximize', naive, smaller)).toMatchObject({
      decision: 'accept',
      naive: true,
      reason: expect.stringMatching(/naive rule: median not worse/),
    });
    expect(decideSimplify([10, 11], [10, 10.2], 'maximize', naive, smaller)).toMatchObject({ decision: 'reject', naive: true });
  });
});
