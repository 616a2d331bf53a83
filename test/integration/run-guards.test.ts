// Two guards a user relies on: a second `evoloop run` on a problem that is already running
// is refused (it would fight over the same worktrees and store), and a problem folder may
// be the repository's top level itself.
import { once } from 'node:events';
import { cpSync, existsSync } from 'node:fs';
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
  p = createProblem({ sub: '', config: { budget: { candidates: 12 } } });
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

it('`run --new` is refused too while the run is alive, and leaves it running', async () => {
  p = createProblem({ sleep: 0.5, config: { budget: { candidates: 2 } } });
  const first = p.spawnCli('run', '{dir}');
  await waitFor(() => p!.log().some((l) => l[0] === 'start'), 30_000, 'the first run to start a stage');
  const second = await p.cli('run', '{dir}', '--new');
  expect(second.code).toBe(2);
  expect(second.stderr).toMatch(/already running/);
  await once(first, 'close');
  expect(first.exitCode).toBe(0);
});

it('refuses edit globs that match no committed file (exit 2, nothing written)', async () => {
  p = createProblem({ config: { edit: ['solver.py'] } });
  const r = await p.cli('run', '{dir}');
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/edit: no committed file in the problem folder matches \["solver\.py"\]/);
  expect(existsSync(path.join(p.dir, '.evoloop', 'evoloop.db'))).toBe(false);
});

it('stops as stuck after ten identical invalid proposals instead of burning the budget', async () => {
  // The only editable file has no numeric literal for tune to move.
  p = createProblem({ config: { edit: ['notes.mjs'], budget: { candidates: 100 } }, files: { 'notes.mjs': 'export const name = "x";\n' } });
  const r = await p.cli('run', '{dir}');
  expect(r.code, r.stderr).toBe(1); // stuck is a run error
  expect(r.stdout).toMatch(/stuck: the last 10 proposals were all invalid for the same reason: tune found no literal it may change in notes\.mjs/);
  const status = JSON.parse((await p.cli('status', '{dir}', '--json')).stdout);
  expect(status.candidates).toBe(10);
});

it('apply --force never moves the branch that is checked out', async () => {
  p = createProblem({ config: { budget: { candidates: 12 } } });
  expect((await p.cli('run', '{dir}')).code).toBe(0);
  const head = p.git('rev-parse', 'HEAD');
  const r = await p.cli('apply', 'best', '{dir}', '--branch', 'main', '--force');
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/branch main is checked out/);
  expect(p.git('rev-parse', 'HEAD')).toBe(head);
  expect(p.git('status', '--porcelain')).toBe('');
});

it('a finished --allow-dirty run goes on when run again on the same uncommitted state', async () => {
  p = createProblem({ config: { budget: { candidates: 2 } } });
  p.write('program.mjs', p.read('program.mjs').replace('const n = 3', 'const n = 5'));
  expect((await p.cli('run', '{dir}', '--allow-dirty')).code).toBe(0);
  const again = await p.cli('run', '{dir}', '--allow-dirty', '--max-candidates', '4');
  expect(again.code, again.stderr).toBe(0);
  expect(again.stdout).toMatch(/Continuing run/);
  const store = openStore(p.dir);
  try {
    expect(store.listRuns()).toHaveLength(1);
  } finally {
    store.close();
  }
});
