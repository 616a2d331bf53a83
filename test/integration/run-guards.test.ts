// Two guards a user relies on: a second `evoloop run` on a problem that is already running
// is refused (it would fight over the same worktrees and store), and a problem folder may
// be the repository's top level itself.
import { once } from 'node:events';
import { cpSync } from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { openStore } from '../../src/store/store.js';
import { createProblem, waitFor, type Problem } from '../support/problem.js';

let p: Problem | undefined;
afterEach(() => p?.cleanup());

it('refuses a second run while the first is alive (exit 2, names the pid), and the first finishes untouched', async () => {
  p = createProblem({ sleep: 0.5, config: { budget: { candidates: 3 } } });
  const first = p.spawnCli('run', '{dir}');
  let out = '';
  first.stdout!.on('data', (d) => (out += d));
  await waitFor(() => p!.log().some((l) => l[0] === 'start'), 30_000, 'the first run to start a stage');

  const second = await p.cli('run', '{dir}');
  expect(second.code).toBe(2);
  expect(second.stderr).toMatch(new RegExp(`is already running \\(pid ${first.pid}\\)`));

  await once(first, 'close');
  expect(first.exitCode, out).toBe(0);
  const store = openStore(p.dir);
  try {
    const runs = store.listRuns();
    expect(runs).toHaveLength(1);
    expect(runs[0].status).toBe('finished');
    expect(store.listCandidates(runs[0].id).filter((c) => c.operator !== 'baseline')).toHaveLength(3);
  } finally {
    store.close();
  }
});

it('runs, applies and diffs a problem that is the repository top level', async () => {
  p = createProblem({ sub: '', config: { budget: { candidates: 6 } } });
  const r = await p.cli('run', '{dir}');
  expect(r.code, r.stderr).toBe(0);
  const status = JSON.parse((await p.cli('status', '{dir}', '--json')).stdout);
  expect(status.accepted).toBeGreaterThan(0);
  const diff = (await p.cli('diff', 'best', '{dir}')).stdout;
  expect(diff).toMatch(/^diff --git a\/program\.mjs b\/program\.mjs/);
  const applied = await p.cli('apply', 'best', '{dir}', '--branch', 'improved');
  expect(applied.code, applied.stderr).toBe(0);
  expect(p.git('diff', status.baseCommit, 'improved')).toBe(diff.trimEnd());
});

it('a problem folder copied with its .evoloop/ from another repository starts its own run in fresh worktrees', async () => {
  p = createProblem({ config: { budget: { candidates: 2 } } });
  const killed = p.spawnCli('run', '{dir}', '--max-candidates', '50');
  await waitFor(() => p!.log().some((l) => l[0] === 'end'), 30_000, 'the first run to measure something');
  process.kill(-killed.pid!, 'SIGKILL'); // leaves a 'running' run and registered worktrees behind
  await once(killed, 'close');

  const copy = createProblem({ from: p.dir });
  cpSync(path.join(p.dir, '.evoloop'), path.join(copy.dir, '.evoloop'), { recursive: true });
  try {
    const r = await copy.cli('run', '{dir}');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Starting run/);
    const store = openStore(copy.dir);
    try {
      const mine = store.listRuns().filter((run) => run.repoRoot === copy.repo);
      expect(mine).toHaveLength(1);
      expect(mine[0].status).toBe('finished');
    } finally {
      store.close();
    }
  } finally {
    copy.cleanup();
  }
});
