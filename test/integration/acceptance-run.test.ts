// The acceptance rule inside real runs: a deterministic verifier decides exactly after one
// sample; a noisy one makes `significant` race (re-measuring the champion alongside the
// challenger) and reject a neutral change that the naive `better` rule keeps.
import { afterAll, describe, expect, it } from 'vitest';
import { createHostileProblem, type HostileOptions, type HostileProblem } from '../support/hostile-problem.js';

const made: HostileProblem[] = [];
afterAll(() => made.forEach((p) => p.cleanup()));

async function runOne(opts: HostileOptions) {
  const p = createHostileProblem(opts);
  made.push(p);
  const { summary } = await p.run(1);
  return { p, summary, c: p.candidate(2) };
}

describe('deterministic verifier (rule significant)', () => {
  const config = { accept: { rule: 'significant', baseline_repeats: 3 } };

  it('a better candidate is accepted after one sample, exactly', async () => {
    const { p, c, summary } = await runOne({ value: 'hostile ? 10.5 : 10', config });
    expect(c.status).toBe('accepted');
    expect(c.reason).toBe('deterministic verifier: gain 0.5 > min_delta 0');
    expect(c.score).toBe(10.5);
    expect(p.measurements(2)).toHaveLength(1);
    // Two equal baseline samples say the verifier is deterministic: the third of baseline_repeats is not measured.
    expect(p.measurements(1)).toHaveLength(2);
    expect(summary.noise).toMatchObject({ n: 2, median: 10, mad: 0, cv: 0 });
    expect(summary.champions.map((ch) => [ch.id, ch.gain])).toEqual([
      [1, null],
      [2, 0.5],
    ]);
  });

  it('an equal candidate is rejected after one sample, exactly', async () => {
    const { p, c } = await runOne({ value: '10', config });
    expect(c.status).toBe('rejected');
    expect(c.reason).toBe('deterministic verifier: gain 0 <= min_delta 0');
    expect(p.measurements(2)).toHaveLength(1);
    expect(p.measurements(1)).toHaveLength(2);
  });
});

// A noisy verifier: the true value is 10 whatever MODE is (the change is neutral), plus
// machine noise. The noise is a fixed function of (candidate, repeat) so the test is
// reproducible, and it differs between candidates as real noise does (the seeds do not:
// repeat i runs with seed i+1 for everyone). Candidate 2 happens to be lucky on its first
// two runs, which is exactly what fools a naive rule.
const NOISY_VERIFIER = `import path from 'node:path';
import { pathToFileURL } from 'node:url';
const NOISE = {
  1: [0, -1, 1, -0.5, 0.5, -1.5, 1.5, -0.2, 0.2, 0.8],
  2: [2.5, 1.8, -1.2, -2.2, 0.3, -0.8, 0.9, -1.9, 1.1, -0.4],
};
const program = await import(pathToFileURL(path.resolve('program.mjs')).href);
const noise = (NOISE[process.env.EVOLOOP_CANDIDATE] ?? [])[Number(process.env.EVOLOOP_REPEAT)] ?? 0;
console.log(JSON.stringify({ score: program.value() + noise }));
`;

describe('noisy verifier, neutral change', () => {
  const problem = (rule: string): HostileOptions => ({
    value: '10',
    files: { 'verifier/score.mjs': NOISY_VERIFIER },
    config: { accept: { rule, baseline_repeats: 3, max_repeats: 10 } },
  });

  it('rule significant: races, re-measures the champion, and rejects the lucky neutral change', async () => {
    const { p, c, summary } = await runOne(problem('significant'));
    expect(c.status).toBe('rejected');
    expect(c.reason).toMatch(/^(futile|not significant)/);
    // The first two samples (12.5, 11.8) were ahead, so racing asked for a test at n=4 and
    // the baseline, measured 3 times at the start, was re-measured to match.
    const challenger = p.measurements(2).length;
    expect(challenger).toBeGreaterThanOrEqual(4);
    expect(p.measurements(1).length).toBeGreaterThan(3);
    expect(p.measurements(1).map((m) => m.repeat)).toEqual([...Array(p.measurements(1).length).keys()]);
    expect(c.verdict).toMatchObject({ decision: 'reject', naive: false, against: 1 });
    // The verdict compared against every baseline sample, the re-measured ones included.
    expect(c.verdict?.kind === 'decided' && c.verdict.championSamples).toBe(p.measurements(1).length);
    expect(summary.bestCandidate).toBe(1);
    expect(summary.accept).toEqual({ rule: 'significant', naive: false });
    expect(summary.noise).toMatchObject({ n: 3, median: 10 });

    const text = (await p.cli('status')).stdout;
    expect(text).toMatch(/acceptance: significant/);
    expect(text).not.toMatch(/NAIVE/);
    expect(text).toMatch(/noise floor \(baseline, n=3\): median 10/);
  });

  it('rule better: keeps the lucky neutral change after one sample, and says the rule is naive', async () => {
    const { p, c, summary } = await runOne(problem('better'));
    expect(c.status).toBe('accepted');
    expect(c.reason).toMatch(/^naive rule: median better by 2\.5/);
    expect(p.measurements(2)).toHaveLength(1);
    expect(p.measurements(1)).toHaveLength(3);
    expect(summary.accept).toEqual({ rule: 'better', naive: true });

    const status = await p.cliJson('status');
    expect(status.accept).toEqual({ rule: 'better', naive: true });
    expect(status.champions.map((ch: { id: number }) => ch.id)).toEqual([1, 2]);
    const text = (await p.cli('status')).stdout;
    expect(text).toMatch(/acceptance: better — NAIVE/);
    expect(text).toMatch(/#2 +12\.5 +gain 2\.5/);
  });
});
