import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../config/load.js';
import type { StageConfig } from '../../config/schema.js';
import { compare, comparisonMetrics, selfComparison, tieMetrics } from './pairwise.js';

const stage = validateConfig({
  edit: ['p.txt'],
  verifier: {
    stages: [
      { name: 'write', kind: 'score', run: 'true' },
      { name: 'pref', kind: 'judge', compare: 'champion', input: { files: ['out/*'] }, rubric: 'Which is clearer?' },
    ],
  },
  objective: { metric: 'pref', goal: 'maximize' },
}).verifier.stages[1] as StageConfig;

describe('pairwise metrics', () => {
  it.each([
    ['A', 'B', 1, 1], // both orders prefer the candidate
    ['B', 'A', 0, 1], // both prefer the champion
    ['tie', 'tie', 0.5, 1],
    ['A', 'A', 0.5, 0], // the verdict followed the position: no information
    ['A', 'tie', 0.75, 0],
  ] as const)('candidate first %s, champion first %s → %d, agreement %d', (first, second, score, agreement) => {
    expect(comparisonMetrics(stage, first, second)).toEqual({ pref: score, pref_agreement: agreement });
  });

  it('reads a recorded result of the champion as a tie with itself, and leaves a failure alone', () => {
    const result = {
      stage: 'pref',
      kind: 'score' as const,
      repeat: 0,
      seed: 1,
      ok: true,
      metrics: { pref: 1, pref_agreement: 1 },
      exitCode: null,
      signal: null,
      durationMs: 1,
      stdoutTail: '',
      stderrTail: '',
    };
    expect(selfComparison(stage, result).metrics).toEqual(tieMetrics(stage));
    expect(selfComparison(stage, { ...result, ok: false, metrics: {} }).metrics).toEqual({});
  });
});

describe('compare', () => {
  it('asks both orders, fenced, with the rubric only, and says what each order decided', async () => {
    const asked: string[] = [];
    const r = await compare(stage, { candidate: 'NEW', champion: 'OLD', championId: 7, seed: 2 }, async ({ prompt }) => {
      asked.push(prompt);
      return prompt.indexOf('NEW') < prompt.indexOf('OLD') ? '{"better": "A", "rationale": "shorter"}' : 'Hmm. {"better": "tie"}';
    });
    expect(asked).toHaveLength(2);
    expect(asked[0]).toMatch(/## Output A\n=====OUTPUT=====\nNEW\n=====OUTPUT=====\n\n## Output B\n=====OUTPUT=====\nOLD/);
    expect(asked[1]).toMatch(/## Output A\n=====OUTPUT=====\nOLD\n=====OUTPUT=====\n\n## Output B\n=====OUTPUT=====\nNEW/);
    for (const p of asked) expect(p).toContain('Which is clearer?');
    expect(r).toEqual({
      metrics: { pref: 0.75, pref_agreement: 0 },
      rationale: 'against the champion (candidate 7), this output shown first: this one is better (shorter); shown second: a tie',
    });
  });

  it('fails on a reply that names no winner', async () => {
    const r = await compare(stage, { candidate: 'a', champion: 'b', championId: 1, seed: 1 }, async () => 'Both are fine.');
    expect(r).toMatchObject({ error: expect.stringContaining('neither A, B nor tie') });
  });
});
