// A problem with two real runs, an honest best-of-n baseline and an islands run (tune, the real
// engine, store, git and verifier processes): `status`'s champions list names only the rows that
// became the run's champion (not every elite that entered a cell), and `evoloop report` of either
// run shows the other side by side.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEvolution, type RunResult } from '../../src/engine/run.js';
import { openStore } from '../../src/store/store.js';
import { summarize } from '../../src/store/summary.js';
import { createProblem, defaultConfig, type Problem } from '../support/problem.js';

let p: Problem;
let bestOfN: RunResult;
let islands: RunResult;

const offline = { llm: { env: {} } };
const config = (search: Record<string, unknown>, candidates: number) => ({ ...defaultConfig(), search, budget: { candidates } }) as never;

beforeAll(async () => {
  p = createProblem();
  bestOfN = await runEvolution({ problemDir: p.dir, config: config({ strategy: 'best-of-n', seed: 5 }, 12), ...offline }).done;
  islands = await runEvolution({
    problemDir: p.dir,
    newRun: true,
    config: config(
      {
        strategy: 'islands',
        islands: 2,
        seed: 5,
        migration: { interval: 3, rate: 1 },
        features: [{ name: 'd', builtin: 'diff_size', range: [0, 6], bins: 3 }],
      },
      16,
    ),
    ...offline,
  }).done;
}, 120_000);
afterAll(() => p?.cleanup());

describe('a best-of-n run beside an islands run', () => {
  it("lists as champions only the islands run's crowned rows, in order, each better than the one before", () => {
    const store = openStore(p.dir);
    const s = summarize(store, islands.run);
    const crowned = store
      .events(islands.run, 0, 10_000)
      .filter((e) => e.type === 'champion')
      .map((e) => e.candidateId);
    const run = store.getRun(islands.run)!;
    expect(s.champions.map((c) => c.id)).toEqual([run.baselineId, ...crowned]);
    expect(s.champions.at(-1)!.id).toBe(run.championId);
    for (let i = 1; i < s.champions.length; i++) expect(s.champions[i].score!).toBeGreaterThan(s.champions[i - 1].score!);
    // Elites that entered a cell without beating the champion are accepted rows, but not champions.
    const elites = store.listCandidates(islands.run, { status: ['accepted'] }).map((c) => c.id);
    console.log(JSON.stringify({ champions: s.champions.map((c) => [c.id, c.score]), elites, crowned }));
    expect(elites.filter((id) => !crowned.includes(id)).length).toBeGreaterThan(0);
    store.close();
  });
});
