// Which config edits a run survives: budget, parallelism and models may change between
// sessions (raise the budget of an interrupted run and go on); a changed verifier,
// objective or acceptance rule would make old and new verdicts incomparable, so it is refused.
import { afterEach, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runEvolution } from '../../src/engine/run.js';
import { openStore } from '../../src/store/store.js';
import { createProblem, defaultConfig, type Problem } from '../support/problem.js';

let p: Problem | undefined;
afterEach(() => p?.cleanup());

/** Runs in process until `n` candidates are decided, then stops: the run is left interrupted. */
async function interruptAfter(problem: Problem, n: number): Promise<string> {
  let decided = 0;
  const handle = runEvolution({
    problemDir: problem.dir,
    onEvent: (e) => {
      if (e.type === 'decided' && ++decided === n) handle.stop();
    },
  });
  const summary = await handle.done;
  expect(summary.status).toBe('interrupted');
  return summary.run;
}

it('resumes the same run after the budget was raised in evoloop.yaml, and uses the new budget', async () => {
  p = createProblem({ config: { budget: { candidates: 10 } } });
  const runId = await interruptAfter(p, 2);
  p.write('evoloop.yaml', stringify({ ...defaultConfig(), budget: { candidates: 5 }, search: { strategy: 'greedy', parallel: 2 } }));
  p.git('commit', '-qam', 'smaller budget, more parallel');

  const r = await p.cli('run', '{dir}');
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toContain(`Continuing run ${runId}`);
  const store = openStore(p.dir);
  try {
    expect(store.listRuns().map((run) => run.id)).toEqual([runId]);
    expect(store.listCandidates(runId).filter((c) => c.operator !== 'baseline')).toHaveLength(5);
    expect(JSON.parse(store.getRun(runId)!.configJson).budget.candidates).toBe(5);
  } finally {
    store.close();
  }
});

it('refuses to resume after the verifier changed (exit 2, names the keys and --new), and --new starts a new run', async () => {
  p = createProblem({ config: { budget: { candidates: 10 } } });
  const runId = await interruptAfter(p, 1);
  const changed = defaultConfig() as { verifier: { stages: { timeout: string }[] } };
  changed.verifier.stages[0].timeout = '45s';
  p.write('evoloop.yaml', stringify({ ...changed, budget: { candidates: 2 } }));
  p.git('commit', '-qam', 'longer timeout');

  const refused = await p.cli('run', '{dir}');
  expect(refused.code).toBe(2);
  expect(refused.stderr).toMatch(/verifier.*changed since run .*--new/s);

  const fresh = await p.cli('run', '{dir}', '--new');
  expect(fresh.code, fresh.stderr).toBe(0);
  const store = openStore(p.dir);
  try {
    const runs = store.listRuns();
    expect(runs).toHaveLength(2);
    expect(runs[0].id).toBe(runId);
    expect(runs[0].status).toBe('interrupted');
    expect(runs[1].status).toBe('finished');
  } finally {
    store.close();
  }
});

it('a run that used its budget continues when run again with a larger one, from where it was', async () => {
  p = createProblem({ config: { budget: { candidates: 3 } } });
  const first = await p.cli('run', '{dir}');
  expect(first.code, first.stderr).toBe(0);
  const again = await p.cli('run', '{dir}');
  expect(again.stdout).toMatch(/has used its budget of 3 candidates/);
  const more = await p.cli('run', '{dir}', '--max-candidates', '6');
  expect(more.code, more.stderr).toBe(0);
  expect(more.stdout).toMatch(/Continuing run/);
  const store = openStore(p.dir);
  try {
    const runs = store.listRuns();
    expect(runs).toHaveLength(1);
    expect(store.listCandidates(runs[0].id).filter((c) => c.operator !== 'baseline')).toHaveLength(6);
  } finally {
    store.close();
  }
  // After a new commit, a new run starts from it.
  p.write('program.mjs', p.read('program.mjs').replace('const n = 3', 'const n = 4'));
  p.git('commit', '-qam', 'new base');
  const fresh = await p.cli('run', '{dir}');
  expect(fresh.stdout).toMatch(/Starting run/);
});
