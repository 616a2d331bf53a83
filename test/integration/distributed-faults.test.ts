// Distributed evaluation under faults, with a real redis-server and worker processes: a worker
// killed mid-job (another one records the result, once), the coordinator killed mid-run and
// restarted (re-attaches, re-runs nothing that finished), Redis gone for a few seconds
// (proposals pause, then go on; nothing lost). The score stage sleeps and logs each run.
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/store.js';
import { createProblem, waitFor, type Problem } from '../support/problem.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { cloneProblem, spawnWorker, type WorkerProcess } from '../support/workers.js';

let p: Problem | undefined;
let redis: RedisServer | undefined;
const workers: WorkerProcess[] = [];
afterEach(async () => {
  for (const w of workers.splice(0)) w.kill();
  await redis?.cleanup();
  p?.cleanup();
});

/** Starts and ends per "candidate stage repeat" in the verifier log. */
function runs(problem: Problem) {
  const starts = new Map<string, number>();
  const ends = new Map<string, number>();
  for (const [event, candidate, stage, repeat] of problem.log()) {
    const into = event === 'start' ? starts : ends;
    const key = `${candidate} ${stage} ${repeat}`;
    into.set(key, (into.get(key) ?? 0) + 1);
  }
  return { starts, ends, running: [...starts.keys()].filter((k) => !ends.has(k)) };
}

/** Every candidate the run measured has exactly one measurement per stage and repeat, and the run finished. */
function expectAllMeasuredOnce(problem: Problem, candidates: number) {
  const store = openStore(problem.dir);
  try {
    const run = store.latestRun()!;
    expect(run.status).toBe('finished');
    const measured = store.listCandidates(run.id).filter((c) => !['invalid', 'duplicate'].includes(c.status));
    expect(measured.length).toBeGreaterThanOrEqual(candidates);
    for (const c of measured) {
      expect(c.status).not.toBe('pending');
      expect(store.measurements(c.id).map((m) => `${m.stage}#${m.repeat}`)).toEqual(['score#0']);
    }
  } finally {
    store.close();
  }
}

describe('distributed evaluation under faults', () => {
  it('a worker killed mid-job: the job goes to another worker, and its result is recorded once', async () => {
    redis = await startRedisServer();
    p = createProblem({ sleep: 1.5, config: { budget: { candidates: 2 } } });
    const first = spawnWorker(cloneProblem(p, 'w1'), redis.url);
    workers.push(first);
    await first.waitFor(/no coordinator is waiting/);
    const coordinator = p.spawnCli('run', '{dir}', '--redis', redis.url);
    await waitFor(() => runs(p!).running.length > 0, 30_000, 'a stage running on the first worker');
    const [victim] = runs(p).running;
    first.kill('SIGKILL');
    const second = spawnWorker(cloneProblem(p, 'w2'), redis.url);
    workers.push(second);
    const code = await new Promise<number | null>((r) => coordinator.once('exit', r));
    expect(code).toBe(0);
    expect(runs(p).starts.get(victim)).toBe(2); // run again, by the second worker
    expectAllMeasuredOnce(p, 2);
    const status = JSON.parse((await p.cli('status', '{dir}', '--json')).stdout);
    const byId = Object.fromEntries(status.workers.map((w: { id: string; jobsDone: number }) => [w.id, w.jobsDone]));
    const [firstId] = /worker (\S+): talking/.exec(first.output())!.slice(1);
    const [secondId] = /worker (\S+): talking/.exec(second.output())!.slice(1);
    expect(byId[firstId]).toBe(0);
    expect(byId[secondId]).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('the coordinator killed mid-run and restarted re-attaches to the jobs in flight and re-runs no finished one', async () => {
    redis = await startRedisServer();
    p = createProblem({ sleep: 1, config: { budget: { candidates: 5 }, search: { strategy: 'greedy', parallel: 2 } } });
    const worker = spawnWorker(cloneProblem(p, 'w1'), redis.url, ['--concurrency', '2']);
    workers.push(worker);
    const first = p.spawnCli('run', '{dir}', '--redis', redis.url);
    await waitFor(() => runs(p!).ends.size >= 2 && runs(p!).running.length > 0, 40_000, 'two finished stages and one running');
    process.kill(-first.pid!, 'SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const again = await p.cli('run', '{dir}', '--redis', redis.url);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/Continuing run/);
    const { starts } = runs(p);
    expect(
      [...starts.values()].every((n) => n === 1),
      JSON.stringify([...starts]),
    ).toBe(true);
    expectAllMeasuredOnce(p, 5);
  }, 60_000);

  it('Redis gone for a few seconds mid-run: the coordinator pauses with a notice, goes on when it is back, and loses nothing', async () => {
    redis = await startRedisServer();
    p = createProblem({ sleep: 1, config: { budget: { candidates: 4 } } });
    const worker = spawnWorker(cloneProblem(p, 'w1'), redis.url);
    workers.push(worker);
    const coordinator = p.spawnCli('run', '{dir}', '--redis', redis.url);
    let out = '';
    coordinator.stdout!.on('data', (d) => (out += d));
    coordinator.stderr!.on('data', (d) => (out += d));
    await waitFor(() => runs(p!).ends.size >= 1 && runs(p!).running.length > 0, 40_000, 'a finished stage and one running');
    await redis.stop();
    await waitFor(() => /Redis at redis:\/\/127\.0\.0\.1:\d+ is unreachable .*proposals pause/.test(out), 10_000, 'the outage notice');
    await new Promise((r) => setTimeout(r, 2_000));
    await redis.start();
    const code = await new Promise<number | null>((r) => coordinator.once('exit', r));
    expect(code, out).toBe(0);
    expect(out).toMatch(/is back: continuing/);
    await worker.waitFor(/reconnected to Redis/);
    expectAllMeasuredOnce(p, 4);
  }, 60_000);
});
