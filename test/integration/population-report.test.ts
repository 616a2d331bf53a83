// A problem with two real runs, an honest best-of-n baseline and an islands run (tune, the real
// engine, store, git and verifier processes): `status`'s champions list names only the rows that
// became the run's champion (not every elite that entered a cell), and `evoloop report` of either
// run shows the other side by side.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEvolution, type RunResult } from '../../src/engine/run.js';
import { openStore } from '../../src/store/store.js';
import { summarize } from '../../src/store/summary.js';
import { fmt, writeReport } from '../../src/report/report.js';
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
    expect(elites.filter((id) => !crowned.includes(id)).length).toBeGreaterThan(0);
    store.close();
  });

  it('report shows the best-of-n run beside the islands run: best value, best at equal candidates, cost and both curves', async () => {
    const store = openStore(p.dir);
    const out = path.join(p.tmp, 'report-islands');
    const written = await writeReport(store, islands.run, out);
    const md = readFileSync(written.markdown, 'utf8');
    expect(md).toContain('## Beside the best-of-n baseline');
    const row = (name: string) => md.split('\n').find((l) => l.startsWith(`| ${name} |`))!;
    expect(row('')).toBe(`|  | islands (run ${islands.run}, this report) | best-of-n (run ${bestOfN.run}) |`);
    expect(row('best score')).toBe(`| best score | ${fmt(islands.best)} (#${islands.bestCandidate}) | ${fmt(bestOfN.best)} (#${bestOfN.bestCandidate}) |`);
    expect(row('candidates')).toBe('| candidates | 16 | 12 |');
    expect(row('cost')).toBe('| cost | $0.0000 (0 model calls) | $0.0000 (0 model calls) |');
    // At equal budgets: the best champion the islands run had after its first 12 proposals.
    const proposed = store.queries.proposedIds(islands.run);
    const crownedBy12 = summarize(store, islands.run).champions.filter((c) => c.id <= proposed[11]);
    expect(row('best after 12 candidates')).toBe(`| best after 12 candidates | ${fmt(crownedBy12.at(-1)!.score)} | ${fmt(bestOfN.best)} |`);
    const ahead =
      crownedBy12.at(-1)!.score! > bestOfN.best!
        ? 'islands is ahead of best-of-n'
        : crownedBy12.at(-1)!.score! < bestOfN.best!
          ? 'best-of-n is ahead of islands'
          : 'both runs are level';
    expect(md).toContain(`- After 12 candidates each, ${ahead}:`);
    // Both curves: best-so-far steps over candidates proposed, one polyline per run, from the baseline.
    const svg = readFileSync(written.comparison!, 'utf8');
    expect(md).toContain(`](${path.basename(written.comparison!)})`);
    const curves = [...svg.matchAll(/<polyline class="curve" data-run="([^"]+)" points="([^"]+)"/g)];
    expect(curves.map((c) => c[1])).toEqual([`islands (run ${islands.run})`, `best-of-n (run ${bestOfN.run})`]);
    const steps = (points: string) => points.split(' ').length / 2;
    expect(steps(curves[0][2])).toBe(summarize(store, islands.run).champions.length);
    expect(steps(curves[1][2])).toBe(summarize(store, bestOfN.run).champions.length);
    expect(readFileSync(written.html, 'utf8')).toContain('<h2>Beside the best-of-n baseline</h2>');

    // The best-of-n run's report shows the same pair, itself marked.
    const other = await writeReport(store, bestOfN.run, path.join(p.tmp, 'report-best-of-n'));
    expect(readFileSync(other.markdown, 'utf8')).toContain(`|  | islands (run ${islands.run}) | best-of-n (run ${bestOfN.run}, this report) |`);
    store.close();
  });
});
