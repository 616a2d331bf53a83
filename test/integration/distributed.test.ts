// Distributed evaluation end to end: a real redis-server, `evoloop run` as the coordinator and
// `evoloop worker` processes in their own clones, all given a password-protected Redis URL
// through EVOLOOP_REDIS_URL (which the process list does not show).
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startDashboard } from '../../src/dashboard/server.js';
import { openStore } from '../../src/store/store.js';
import { useDistributed } from '../support/distributed.js';
import { waitFor } from '../support/problem.js';

const d = useDistributed();

/** The score stage, logging one line per run when it ends: its start and end (ns), the folder it ran in, and whether it sees the Redis URL. */
const TIMED_SCORE = `#!/bin/sh
start=$(date +%s%N)
sleep 0.3
node --input-type=module -e "
import { params } from './program.mjs';
const { a, b, n } = params();
console.log(JSON.stringify({ score: 100 - (a - 4) ** 2 - (b - 1) ** 2 - (n - 8) ** 2 }));
"
echo "ran $EVOLOOP_CANDIDATE $EVOLOOP_STAGE $EVOLOOP_REPEAT $start $(date +%s%N) $PWD \${EVOLOOP_REDIS_URL:-unset}" >> '{tmp}/verifier.log'
`;

describe('evoloop run with workers', () => {
  it('workers and a local slot measure every candidate, exclusive stages never overlap on the host; the password is in no process list, output, stage, store or dashboard; status and the dashboard show workers and queue; show --json the host', async () => {
    const redis = await d.startRedis({ password: 'hunter2-s3cret' });
    // A stage that lets EVOLOOP_* through would see EVOLOOP_REDIS_URL if evoloop left it in its environment.
    const score = { name: 'score', kind: 'score', run: 'sh verifier/score.sh', timeout: '30s', exclusive: true, env: ['EVOLOOP_*'] };
    const p = d.problem({
      config: { verifier: { stages: [score] }, budget: { candidates: 5 }, search: { strategy: 'greedy', parallel: 3 } },
      files: { 'verifier/score.sh': TIMED_SCORE },
    });
    const viaEnv = { viaEnvironment: true, env: { EVOLOOP_REDIS_URL: redis.url } };
    const workers = [d.worker('w1', [], viaEnv), d.worker('w2', [], viaEnv)];
    await Promise.all(workers.map((w) => w.waitFor(/no coordinator is waiting on redis:\/\/:\*\*\*@127\.0\.0\.1/)));
    process.env.EVOLOOP_REDIS_URL = redis.url; // for the coordinator only: spawnCli copies the environment at once
    const coordinator = p.spawnCli('run', '{dir}', '--local-slots', '1');
    delete process.env.EVOLOOP_REDIS_URL;
    let stdout = '';
    let stderr = '';
    coordinator.stdout!.on('data', (chunk) => (stdout += chunk));
    coordinator.stderr!.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((r) => coordinator.once('exit', r));
    await waitFor(() => /evaluating through Redis at redis:\/\/:\*\*\*@127\.0\.0\.1/.test(stdout), 30_000, 'the coordinator on Redis');
    const commandLines = [coordinator, ...workers.map((w) => w.child)].map((c) => readFileSync(`/proc/${c.pid}/cmdline`, 'utf8'));
    expect(commandLines.join('\n')).toMatch(/run[\s\S]*worker[\s\S]*worker/);
    expect(commandLines.join('\n')).not.toContain('hunter2');
    expect(await exited, stderr).toBe(0);
    const store = openStore(p.dir);
    try {
      const runRow = store.latestRun()!;
      const candidates = store.listCandidates(runRow.id).filter((c) => c.status !== 'invalid' && c.status !== 'duplicate');
      expect(candidates.length).toBeGreaterThanOrEqual(4);
      for (const c of candidates) expect(store.measurements(c.id).map((m) => m.host)).toEqual([hostname()]);
    } finally {
      store.close();
    }
    // Exclusive stages ran here (the local slot) and on both workers, never two at once on this host; none saw the URL.
    const spans = p.log().map(([, , , , start, end, where, url]) => ({ start: Number(start), end: Number(end), where, url }));
    expect(spans.length).toBeGreaterThanOrEqual(5);
    expect(new Set(spans.map((s) => s.url))).toEqual(new Set(['unset']));
    expect(new Set(spans.map((s) => s.where.split(path.sep).find((part) => ['repo', 'w1', 'w2'].includes(part)))).size).toBe(3);
    spans.sort((a, b) => a.start - b.start);
    for (let i = 1; i < spans.length; i++) expect(spans[i].start, 'two exclusive stages overlapped').toBeGreaterThanOrEqual(spans[i - 1].end);
    const status = JSON.parse((await p.cli('status', '{dir}', '--json')).stdout);
    expect(status.workers).toHaveLength(2);
    const remote = spans.filter((s) => !s.where.startsWith(p.repo + path.sep)).length;
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
    const everything = [stdout, stderr, text, JSON.stringify(status), ...dash, ...workers.map((w) => w.output()), readFileSync(p.logFile, 'utf8')].join('\n');
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
