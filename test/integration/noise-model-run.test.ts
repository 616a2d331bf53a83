// The pooled rule's noise model inside real runs: the baseline's seeds are measured twice
// (the replicate epoch), the model is chosen from them, recorded in the baseline's verdict,
// shown by `status`, and kept when the run is resumed (not measured again).
import { afterAll, describe, expect, it } from 'vitest';
import { REPLICATE_EPOCH } from '../../src/evaluate/evaluator.js';
import { runEvolution } from '../../src/index.js';
import { openStore } from '../../src/store/store.js';
import { createHostileProblem, type HostileProblem } from '../support/hostile-problem.js';

const made: HostileProblem[] = [];
afterAll(() => made.forEach((p) => p.cleanup()));

// Seed-driven: the score is a fixed function of the seed (a simulator over seeded instances).
const SEED_VERIFIER = `import path from 'node:path';
import { pathToFileURL } from 'node:url';
const program = await import(pathToFileURL(path.resolve('program.mjs')).href);
const seedEffect = [0, 3.1, -2.4, 4.2, -1.3, 2.2, -3.6, 1.7, -0.8, 2.9][Number(process.env.EVOLOOP_SEED) % 10];
console.log(JSON.stringify({ score: program.value() + seedEffect }));
`;
// Machine noise: each run of the verifier draws the next value of a fixed sequence, whatever the seed.
const MACHINE_VERIFIER = `import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
const program = await import(pathToFileURL(path.resolve('program.mjs')).href);
const counter = '{tmp}/runs';
const n = fs.existsSync(counter) ? Number(fs.readFileSync(counter, 'utf8')) : 0;
fs.writeFileSync(counter, String(n + 1));
const noise = [0.9, -1.1, 0.4, -0.6, -1.0, 0.8, -0.7, 1.2, 0.3, -0.2, 0.6, -0.9, 0.1, 0.5, -0.4, 0.2][n % 16];
console.log(JSON.stringify({ score: program.value() + noise }));
`;

function problem(verifier: string) {
  const p = createHostileProblem({ files: { 'verifier/score.mjs': verifier }, config: { accept: { rule: 'pooled', baseline_repeats: 4 } } });
  made.push(p);
  return p;
}

function baselineModel(p: HostileProblem) {
  const v = p.candidate(1).verdict;
  return v?.kind === 'baseline' ? v.noiseModel : undefined;
}

describe('rule pooled: the noise model of a run', () => {
  it('seed-driven verifier: measured as such, compared seed by seed, shown by status, kept on resume', async () => {
    const p = problem(SEED_VERIFIER);
    const first = await runEvolution({ problemDir: p.dir, maxCandidates: 1, newRun: true }).done;
    // Every baseline seed measured a second time, with the same seeds: the same values came back.
    const replicates = p.measurements(1, REPLICATE_EPOCH);
    expect(replicates.map((m) => m.seed)).toEqual(p.measurements(1).map((m) => m.seed));
    expect(replicates.map((m) => m.metrics.score)).toEqual(p.measurements(1).map((m) => m.metrics.score));
    expect(baselineModel(p)).toEqual({ kind: 'seed', seedShare: 1, source: 'measured', replicates: 4 });
    expect(first.noiseModel).toMatchObject({ kind: 'seed' });
    // The change is worth +1 on every seed, while the seeds spread the score by ±4: paired, three samples (the fewest an accept stands on) settle it.
    const c = p.candidate(2);
    expect(c.status).toBe('accepted');
    expect(c.reason).toMatch(/at n=3, spread consistent .*paired by seed/);
    expect(p.measurements(2)).toHaveLength(3);

    const status = await p.cliJson('status');
    expect(status.noiseModel).toEqual({ kind: 'seed', seedShare: 1, source: 'measured', replicates: 4 });
    expect(status.accept).toEqual({ rule: 'pooled', naive: false });
    const text = (await p.cli('status')).stdout;
    expect(text).toMatch(/acceptance: pooled/);
    expect(text).toMatch(
      /noise model: seed-driven — challenger and champion compared seed by seed \(the seed explains 100% of the baseline's variance; 4 seeds measured twice\)/,
    );

    // Resumed with a larger budget: the same run, the recorded model, no replicate measured again.
    const ids = replicates.map((m) => m.id);
    const resumed = await runEvolution({ problemDir: p.dir, maxCandidates: 3 }).done;
    expect(resumed.run).toBe(first.run);
    expect(p.measurements(1, REPLICATE_EPOCH).map((m) => m.id)).toEqual(ids);
    expect(baselineModel(p)).toMatchObject({ kind: 'seed', replicates: 4 });
    const store = openStore(p.dir);
    try {
      const later = store.listCandidates(first.run).filter((r) => r.id > 2 && (r.status === 'accepted' || r.status === 'rejected'));
      expect(later.length).toBeGreaterThan(0);
      for (const r of later) expect(r.reason).toMatch(/paired by seed/);
    } finally {
      store.close();
    }
  }, 90_000);

  it('machine noise: the same seed gives another value, so verdicts compare unpaired', async () => {
    const p = problem(MACHINE_VERIFIER);
    const summary = await runEvolution({ problemDir: p.dir, maxCandidates: 1, newRun: true }).done;
    expect(p.measurements(1, REPLICATE_EPOCH)).toHaveLength(4);
    expect(baselineModel(p)).toMatchObject({ kind: 'machine', source: 'measured', replicates: 4 });
    expect(summary.noiseModel?.seedShare).toBeLessThan(0.5);
    expect(p.candidate(2).reason).toMatch(/unpaired/);
    expect((await p.cli('status')).stdout).toMatch(
      /noise model: machine noise — compared unpaired \(the seed explains \d+% of the baseline's variance; 4 seeds measured twice\)/,
    );
  }, 60_000);
});
