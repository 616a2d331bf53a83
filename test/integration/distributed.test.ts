// Distributed evaluation end to end: a real redis-server, `evoloop run --redis` as the
// coordinator and `evoloop worker` processes in their own clones.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/store.js';
import { createProblem, type Problem } from '../support/problem.js';
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

describe('evoloop run --redis with workers', () => {
  it('workers measure every candidate; the password is masked everywhere; status shows workers and queue; show --json the host', async () => {
    redis = await startRedisServer({ password: 'hunter2-s3cret' });
    p = createProblem({ config: { budget: { candidates: 4 }, search: { strategy: 'greedy', parallel: 2 } } });
    for (const name of ['w1', 'w2']) workers.push(spawnWorker(cloneProblem(p, name), redis.url));
    await Promise.all(workers.map((w) => w.waitFor(/no coordinator is waiting on redis:\/\/:\*\*\*@127\.0\.0\.1/)));
    const run = await p.cli('run', '{dir}', '--redis', redis.url);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/evaluating through Redis at redis:\/\/:\*\*\*@127\.0\.0\.1/);
    const store = openStore(p.dir);
    try {
      const runRow = store.latestRun()!;
      const candidates = store.listCandidates(runRow.id).filter((c) => c.status !== 'invalid' && c.status !== 'duplicate');
      expect(candidates.length).toBeGreaterThanOrEqual(4);
      for (const c of candidates) expect(store.measurements(c.id).map((m) => m.host)).toEqual([hostname()]);
    } finally {
      store.close();
    }
    // Every stage ran on a worker, none here (the coordinator has no local slots).
    expect(p.log().filter((l) => l[0] === 'start').length).toBe(p.log().filter((l) => l[0] === 'end').length);
    const status = JSON.parse((await p.cli('status', '{dir}', '--json')).stdout);
    expect(status.workers).toHaveLength(2);
    expect(status.workers.reduce((n: number, w: { jobsDone: number }) => n + w.jobsDone, 0)).toBeGreaterThanOrEqual(5);
    expect(status.workers[0]).toMatchObject({ host: hostname(), labels: [], failures: 0 });
    expect(status.queue).toEqual({ waiting: 0, active: 0 });
    const text = (await p.cli('status', '{dir}')).stdout;
    expect(text).toMatch(/queue: 0 waiting, 0 running · workers 2:/);
    const show = JSON.parse((await p.cli('show', 'best', '{dir}', '--json')).stdout);
    expect(show.measurements[0].host).toBe(hostname());
    // The password is nowhere: not in any output, not in the store.
    const everything = [run.stdout, run.stderr, text, JSON.stringify(status), ...workers.map((w) => w.output())].join('\n');
    expect(everything).not.toContain('hunter2');
    for (const f of ['evoloop.db', 'evoloop.db-wal']) {
      try {
        expect(readFileSync(`${p.dir}/.evoloop/${f}`).includes('hunter2')).toBe(false);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
  }, 60_000);
});
