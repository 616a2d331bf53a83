import { describe, expect, it } from 'vitest';
import type { EvolutionEvent } from './events.js';
import { FLAT_SCORE_CANDIDATES, flatScoreWatch } from './flat-scores.js';

function watch(scores: Record<number, number | null>) {
  const warnings: string[] = [];
  const observe = flatScoreWatch(
    (id) => scores[id],
    (m) => warnings.push(m),
  );
  return { warnings, observe };
}
const baseline = (samples: number[]): EvolutionEvent => ({
  type: 'baseline',
  candidateId: 1,
  score: samples[0],
  samples,
  noise: { median: samples[0], mad: 0, cv: 0 },
});
const decided = (id: number, status: 'accepted' | 'rejected' | 'failed' = 'rejected'): EvolutionEvent => ({
  type: 'decided',
  candidateId: id,
  status,
  operator: 'tune',
});

describe('flatScoreWatch', () => {
  it('warns once when a constant baseline and the first measured candidates all score exactly the same', () => {
    const ids = [2, 3, 4, 5, 6, 7, 8];
    const { warnings, observe } = watch(Object.fromEntries(ids.map((id) => [id, 1])));
    observe(baseline([1, 1, 1]));
    observe(decided(9, 'failed')); // not measured: does not count
    for (const id of ids) observe(decided(id));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      new RegExp(`first ${FLAT_SCORE_CANDIDATES} measured candidates all scored exactly 1: the verifier may not be measuring the program`),
    );
  });

  it('stays quiet when any candidate scores differently, or the baseline varies over its repeats', () => {
    const moved = watch({ 2: 1, 3: 1.5, 4: 1, 5: 1, 6: 1, 7: 1 });
    moved.observe(baseline([1, 1]));
    for (const id of [2, 3, 4, 5, 6, 7]) moved.observe(decided(id));
    expect(moved.warnings).toEqual([]);
    const noisy = watch({ 2: 1, 3: 1, 4: 1, 5: 1, 6: 1 });
    noisy.observe(baseline([1, 1.01, 1]));
    for (const id of [2, 3, 4, 5, 6]) noisy.observe(decided(id));
    expect(noisy.warnings).toEqual([]);
  });
});
