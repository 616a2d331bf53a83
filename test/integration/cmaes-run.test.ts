// `operators: {cmaes: 1}` end to end, offline: a real run on the toy problem improves on
// the baseline, and after kill -9 the resumed run continues CMA-ES where it was (its
// state is replayed from the store: the generation count goes on, it does not restart).
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/store.js';
import { createProblem, waitWhileRunning, type Problem } from '../support/problem.js';

const BUDGET = 16;

let p: Problem | undefined;
afterEach(() => p?.cleanup());

function candidates(problem: Problem) {
  const store = openStore(problem.dir);
  try {
    const run = store.listRuns()[0];
    return { run: store.getRun(run.id)!, rows: store.listCandidates(run.id) };
  } finally {
    store.close();
  }
}

const generationOf = (description: string) => Number(/generation (\d+)/.exec(description)?.[1] ?? NaN);

describe('cmaes run', () => {
  it('improves on the toy problem, resumes after kill -9, and goes on from the generation it had reached', async () => {
    p = createProblem({ config: { operators: { cmaes: 1 }, budget: { candidates: BUDGET } } });
    const child = p.spawnCli('run', '{dir}');
    // λ is 7 for three literals: kill once more than one generation has a verdict.
    const { output } = await waitWhileRunning(
      child,
      () => {
        try {
          return candidates(p!).rows.filter((c) => c.operator === 'cmaes' && c.status !== 'pending').length >= 8;
        } catch {
          return false; // the store is not there yet
        }
      },
      120_000,
      '8 decided cmaes candidates',
    );
    process.kill(-child.pid!, 'SIGKILL');
    await once(child, 'close');
    expect(output()).toMatch(/cmaes moves 3 literals in program\.mjs/);
    const before = candidates(p).rows.filter((c) => c.operator === 'cmaes');
    const reached = Math.max(...before.map((c) => generationOf(c.description)));
    expect(reached).toBeGreaterThanOrEqual(1);

    const r = await p.cli('run', '{dir}');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Continuing run \S+: \d+ of 16 candidates done/);
    const after = candidates(p);
    const cma = after.rows.filter((c) => c.operator === 'cmaes');
    expect(cma).toHaveLength(BUDGET);
    const resumed = cma.filter((c) => !before.some((b) => b.id === c.id));
    expect(resumed.length).toBeGreaterThan(0);
    // Replayed, not restarted: the first proposal after the kill is in a generation at least as far on.
    expect(generationOf(resumed[0].description)).toBeGreaterThanOrEqual(reached);
    for (const c of cma) expect(c.description).toMatch(/^cmaes \(restart \d+, generation \d+, λ=\d+, σ=[\d.e-]+(, \d+ draws)?\): program\.mjs:\d+ /);
    const baseline = after.rows.find((c) => c.operator === 'baseline')!;
    const champion = after.rows.find((c) => c.id === after.run.championId)!;
    expect(baseline.score).toBe(100 - 2.5 ** 2 - 3 ** 2 - 5 ** 2);
    expect(champion.score!).toBeGreaterThan(baseline.score! + 10);
  }, 150_000);
});
