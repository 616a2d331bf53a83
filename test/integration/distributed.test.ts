// Distributed evaluation end to end: a real redis-server, `evoloop run --redis` as the
// coordinator and `evoloop worker` processes in their own clones.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDashboard } from '../../src/dashboard/server.js';
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

/** The score stage, logging one line per run when it ends: its start and end (ns) and the folder it ran in. */
const TIMED_SCORE = `#!/bin/sh
start=$(date +%s%N)
sleep 0.3
node --input-type=module -e "
import { params } from './program.mjs';
const { a, b, n } = params();
console.log(JSON.stringify({ score: 100 - (a - 4) ** 2 - (b - 1) ** 2 - (n - 8) ** 2 }));
"
echo "ran $EVOLOOP_CANDIDATE $EVOLOOP_STAGE $EVOLOOP_REPEAT $start $(date +%s%N) $PWD" >> '{tmp}/verifier.log'
`;

describe('evoloop run --redis with workers', () => {
  it('workers and a local slot measure every candidate, exclusive stages never overlap on the host; the password is masked everywhere; status and the dashboard show workers and queue; show --json the host', async () => {
    redis = await startRedisServer({ password: 'hunter2-s3cret' });
    const score = { name: 'score', kind: 'score', run: 'sh verifier/score.sh', timeout: '30s', exclusive: true };
    p = createProblem({
      config: { verifier: { stages: [score] }, budget: { candidates: 5 }, search: { strategy: 'greedy', parallel: 3 } },
      files: { 'verifier/score.sh': TIMED_SCORE },
    });
    for (const name of ['w1', 'w2']) workers.push(spawnWorker(cloneProblem(p, name), redis.url));
    await Promise.all(workers.map((w) => w.waitFor(/no coordinator is waiting on redis:\/\/:\*\*\*@127\.0\.0\.1/)));
    const run = await p.cli('run', '{dir}', '--redis', redis.url, '--local-slots', '1');
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
    // Exclusive stages ran here (the local slot) and on both workers, never two at once on this host.
    const spans = p.log().map(([, , , , start, end, where]) => ({ start: Number(start), end: Number(end), where }));
    expect(spans.length).toBeGreaterThanOrEqual(5);
    expect(new Set(spans.map((s) => s.where.split(path.sep).find((part) => ['repo', 'w1', 'w2'].includes(part)))).size).toBe(3);
    spans.sort((a, b) => a.start - b.start);
    for (let i = 1; i < spans.length; i++) expect(spans[i].start, 'two exclusive stages overlapped').toBeGreaterThanOrEqual(spans[i - 1].end);
    const status = JSON.parse((await p.cli('status', '{dir}', '--json')).stdout);
    expect(status.workers).toHaveLength(2);
    const remote = spans.filter((s) => !s.where.startsWith(p!.repo + path.sep)).length;
    expect(status.workers.reduce((n: number, w: { jobsDone: number }) => n + w.jobsDone, 0)).toBe(remote);
    expect(status.workers[0]).toMatchObject({ host: hostname(), labels: [], failures: 0 });
    expect(status.queue).toEqual({ waiting: 0, active: 0 });
    const text = (await p.cli('status', '{dir}')).stdout;
    expect(text).toMatch(/queue: 0 waiting, 0 running · workers 2:/);
    const show = JSON.parse((await p.cli('show', 'best', '{dir}', '--json')).stdout);
    expect(show.measurements[0].host).toBe(hostname());
    // The dashboard shows the workers and the queue.
    const dashboard = await startDashboard({ problemDir: p.dir, port: 0 });
    let dash: string[];
    try {
      const api = await (await fetch(new URL('/api/workers', dashboard.url))).json();
      expect(api.workers).toHaveLength(2);
      expect(api.queue).toMatchObject({ waiting: 0, active: 0 });
      dash = await Promise.all(['/api/workers', '/api/summary', '/api/candidates'].map(async (u) => (await fetch(new URL(u, dashboard.url))).text()));
    } finally {
      await dashboard.close();
    }
    // The password is nowhere: not in any output, not in the store, not in the dashboard.
    const everything = [run.stdout, run.stderr, text, JSON.stringify(status), ...dash, ...workers.map((w) => w.output())].join('\n');
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
