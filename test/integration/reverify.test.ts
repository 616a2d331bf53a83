// `evoloop reverify` after the user fixes a hole in the verifier: the candidate that won by
// exploiting the hole no longer counts as an improvement; an honest improvement still does.
// Two runs on the same gameable verifier: one whose candidate lies about its score, one
// whose candidate really improves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHostileProblem, type HostileProblem } from '../support/hostile-problem.js';

const verifier = (trustClaims: boolean) => `import path from 'node:path';
import { pathToFileURL } from 'node:url';
const program = await import(pathToFileURL(path.resolve('program.mjs')).href);
${trustClaims ? '// The hole: a score the program claims for itself is believed.\nconst score = globalThis.claimedScore ?? program.value();' : 'const score = program.value();'}
console.log(JSON.stringify({ score }));
`;

interface ReverifyJson {
  run: string;
  epoch: number;
  baseline: { recordedScore: number; newScore: number; samples: number[] };
  rows: { id: number; status: string; recordedScore: number; newScore: number | null; survives: boolean; reason: string }[];
}

describe('reverify after fixing a gameable verifier', () => {
  let cheat: HostileProblem;
  let honest: HostileProblem;

  beforeAll(async () => {
    const files = { 'verifier/score.mjs': verifier(true) };
    cheat = createHostileProblem({ files, hostile: 'globalThis.claimedScore = 100;', value: '10' });
    honest = createHostileProblem({ files, value: 'hostile ? 20 : 10' });
    await Promise.all([cheat.run(1), honest.run(1)]);
    // Both "improved" under the hole.
    expect([cheat.candidate(2).status, cheat.candidate(2).score]).toEqual(['accepted', 100]);
    expect([honest.candidate(2).status, honest.candidate(2).score]).toEqual(['accepted', 20]);
    for (const p of [cheat, honest]) {
      p.write('verifier/score.mjs', verifier(false));
      p.git('commit', '-qam', 'verifier: stop trusting claimed scores');
    }
  });
  afterAll(() => [cheat, honest].forEach((p) => p?.cleanup()));

  it('the cheat does not survive: re-measured with the fixed verifier it is no better than the baseline', async () => {
    const report = await cheat.cliJson<ReverifyJson>('reverify');
    expect(report.epoch).toBe(1);
    expect(report.baseline).toMatchObject({ recordedScore: 10, newScore: 10 });
    expect(report.rows).toEqual([
      { id: 2, status: 'accepted', recordedScore: 100, newScore: 10, survives: false, reason: 'deterministic verifier: gain 0 <= min_delta 0' },
    ]);
    // Fresh seeds, stored as a new epoch beside the original measurements, which are untouched.
    const [m] = cheat.measurements(2, 1);
    expect(m).toMatchObject({ ok: true, metrics: { score: 10 }, seed: 1_000_001 });
    expect(cheat.measurements(2, 0).map((x) => x.metrics.score)).toEqual([100]);
    expect(cheat.candidate(2).status).toBe('accepted');
  });

  it('the honest improvement survives, with its new score, in JSON and in the table', async () => {
    const report = await honest.cliJson<ReverifyJson>('reverify', '--top', '1');
    expect(report.rows).toEqual([
      { id: 2, status: 'accepted', recordedScore: 20, newScore: 20, survives: true, reason: 'deterministic verifier: gain 10 > min_delta 0' },
    ]);
    const text = await honest.cli('reverify'); // every accepted candidate (the default)
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/reverification 2: baseline recorded 10, now 10/);
    expect(text.stdout).toMatch(/^ +2 +20 +20 +SURVIVES: /m);
    expect(text.stdout).toMatch(/1 of 1 survive\./);
  });
});
