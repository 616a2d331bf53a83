// Reproducible search: two copies of one problem, each run with islands and `tune` under
// the same `search.seed` (a deterministic verifier, parallel 1), export the same candidates:
// `evoloop export` of each is identical (ids, parents, islands, operators, files, patches, scores,
// verdicts, and each commit's tree), and so are the measurements. Aside: when things happened, how
// long they took, and what names the run (its id, in each ref; each commit's time, in its sha).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runEvolution } from '../../src/engine/run.js';
import { createProblem, defaultConfig, runCli } from '../support/problem.js';

const p = createProblem();
const copy = mkdtempSync(path.join(tmpdir(), 'evoloop-determinism-'));
afterAll(() => {
  p.cleanup();
  rmSync(copy, { recursive: true, force: true });
});

/** Volatile columns: when things happened and how long they took, not what. */
const VOLATILE = /(^|_)(at|ms)$|^run_id$|^id$|^ts$|duration/;

async function exported(repo: string, table: string): Promise<Record<string, unknown>[]> {
  const r = await runCli(['export', 'problem', '--table', table], repo);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .map((row) => Object.fromEntries(Object.entries(row).filter(([k]) => !VOLATILE.test(k) || k === 'id')))
    .map(({ commit_sha, ref, ...row }) => ({
      ...row,
      ...(commit_sha !== undefined && {
        tree: commit_sha && execFileSync('git', ['rev-parse', `${commit_sha}^{tree}`], { cwd: repo, encoding: 'utf8' }).trim(),
      }),
      ...(ref !== undefined && { ref: typeof ref === 'string' ? ref.replace(/^refs\/evoloop\/[^/]+\//, 'refs/evoloop/<run>/') : ref }),
    }));
}

it('two runs with the same search.seed export the same candidates and measurements', async () => {
  const repo2 = path.join(copy, 'repo');
  cpSync(p.repo, repo2, { recursive: true });
  const config = {
    ...defaultConfig(),
    budget: { candidates: 10 },
    search: {
      strategy: 'islands',
      islands: 2,
      seed: 11,
      migration: { interval: 3, rate: 1 },
      features: [{ name: 'd', builtin: 'diff_size', range: [0, 6], bins: 3 }],
    },
  } as never;
  for (const dir of [p.dir, path.join(repo2, 'problem')]) await runEvolution({ problemDir: dir, config, llm: { env: {} } }).done;
  const [a, b] = [await exported(p.repo, 'candidates'), await exported(repo2, 'candidates')];
  expect(a.length).toBeGreaterThan(10);
  expect(new Set(a.map((c) => c.operator))).toEqual(new Set(['baseline', 'tune', 'migrate']));
  expect(new Set(a.map((c) => c.island))).toEqual(new Set([null, 0, 1]));
  expect(b).toEqual(a);
  expect(await exported(repo2, 'measurements')).toEqual(await exported(p.repo, 'measurements'));
}, 120_000);
