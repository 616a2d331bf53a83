// Distributed evaluation when the coordinator or Redis goes away, with a real redis-server and a
// worker process: the coordinator killed mid-run and restarted (re-attaches, re-runs nothing
// that finished), Redis gone for a few seconds (proposals pause, then go on; nothing lost).
import { describe, expect, it } from 'vitest';
import { expectMeasuredOnce, useDistributed, verifierRuns } from '../support/distributed.js';
import { waitFor } from '../support/problem.js';

const d = useDistributed();

describe('distributed evaluation when the coordinator or Redis goes away', () => {
  it('the coordinator killed mid-run and restarted re-attaches to the jobs in flight and re-runs no finished one', async () => {
    const redis = await d.startRedis();
    const p = d.problem({ sleep: 1, config: { budget: { candidates: 3 }, search: { strategy: 'greedy', parallel: 2 } } });
    d.worker('w1', ['--concurrency', '2']);
    const first = p.spawnCli('run', '{dir}', '--redis', redis.url);
    await waitFor(() => verifierRuns(p).ends.size >= 2 && verifierRuns(p).running.length > 0, 40_000, 'two finished stages and one running');
    process.kill(-first.pid!, 'SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const again = await p.cli('run', '{dir}', '--redis', redis.url);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/Continuing run/);
    const { starts } = verifierRuns(p);
    expect(
      [...starts.values()].every((n) => n === 1),
      JSON.stringify([...starts]),
    ).toBe(true);
    expectMeasuredOnce(p, 3);
  }, 60_000);

  it('Redis gone for a few seconds mid-run: the coordinator pauses with a notice, goes on when it is back, and loses nothing', async () => {
    const redis = await d.startRedis();
    const p = d.problem({ sleep: 1, config: { budget: { candidates: 3 } } });
    const worker = d.worker('w1');
    const coordinator = p.spawnCli('run', '{dir}', '--redis', redis.url);
    let out = '';
    coordinator.stdout!.on('data', (chunk) => (out += chunk));
    coordinator.stderr!.on('data', (chunk) => (out += chunk));
    await waitFor(() => verifierRuns(p).ends.size >= 1 && verifierRuns(p).running.length > 0, 40_000, 'a finished stage and one running');
    await redis.stop();
    await waitFor(() => /Redis at redis:\/\/127\.0\.0\.1:\d+ is unreachable .*proposals pause/.test(out), 10_000, 'the outage notice');
    await new Promise((r) => setTimeout(r, 2_000));
    await redis.start();
    const code = await new Promise<number | null>((r) => coordinator.once('exit', r));
    expect(code, out).toBe(0);
    expect(out).toMatch(/is back: continuing/);
    await worker.waitFor(/reconnected to Redis/);
    expectMeasuredOnce(p, 3);
  }, 60_000);
});
