// Distributed evaluation when workers die, with a real redis-server and worker processes: a
// worker killed mid-job (another one records the result, once), and a candidate whose stage
// kills its worker every time (failed after 3 attempts with that reason; the run goes on and
// nothing is counted twice). The coordinator's and Redis's faults: distributed-recovery.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/store.js';
import { expectMeasuredOnce, jobsDone, useDistributed, verifierRuns } from '../support/distributed.js';
import { scoreScript, waitFor } from '../support/problem.js';

const d = useDistributed();
let coordinatorPid: number | undefined;
afterEach(() => {
  try {
    if (coordinatorPid) process.kill(-coordinatorPid, 'SIGKILL'); // a failed test's coordinator
  } catch {
    // It had finished.
  }
  coordinatorPid = undefined;
});

/** Candidate 2's stage SIGKILLs the `evoloop worker` running it (its nearest such ancestor), every time; others score as usual. */
const KILLS_ITS_WORKER = (log: string) =>
  scoreScript(log).replace(
    '\nnode',
    () => `
if [ "$EVOLOOP_CANDIDATE" = 2 ]; then
  pid=$$
  while [ "$pid" -gt 1 ]; do
    pid=$(cut -d' ' -f4 /proc/$pid/stat)
    if tr '\\0' ' ' < /proc/$pid/cmdline | grep -q 'evoloop.js worker'; then kill -9 "$pid"; exit 1; fi
  done
fi
node`,
  );

describe('distributed evaluation when workers die', () => {
  it('a worker killed mid-job: the job goes to another worker, and its result is recorded once', async () => {
    const redis = await d.startRedis();
    const p = d.problem({ sleep: 1, config: { budget: { candidates: 2 } } });
    const first = d.worker('w1');
    const coordinator = p.spawnCli('run', '{dir}', '--redis', redis.url);
    coordinatorPid = coordinator.pid;
    await waitFor(() => verifierRuns(p).running.length > 0, 30_000, 'a stage running on the first worker');
    const [victim] = verifierRuns(p).running;
    first.kill('SIGKILL');
    const second = d.worker('w2');
    const code = await new Promise<number | null>((r) => coordinator.once('exit', r));
    expect(code).toBe(0);
    expect(verifierRuns(p).starts.get(victim)).toBe(2); // run again, by the second worker
    expectMeasuredOnce(p, 2);
    const done = jobsDone(p);
    expect(done[first.id()]).toBe(0);
    expect(done[second.id()]).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('a candidate whose stage kills its worker every time fails after 3 attempts with that reason; the run goes on and counts nothing twice', async () => {
    const redis = await d.startRedis();
    const p = d.problem({ config: { budget: { candidates: 2 } }, files: { 'verifier/score.sh': KILLS_ITS_WORKER('{tmp}/verifier.log') } });
    // Three victims and one more: after the third kill the job fails, and the last worker measures the rest.
    const workers = ['w1', 'w2', 'w3', 'w4'].map((name) => d.worker(name));
    await Promise.all(workers.map((w) => w.waitFor(/no coordinator is waiting/)));
    const run = await p.cli('run', '{dir}', '--redis', redis.url);
    expect(run.code, run.stderr).toBe(0);
    const killed = workers.filter((w) => w.child.signalCode === 'SIGKILL');
    expect(killed).toHaveLength(3);
    const { starts } = verifierRuns(p);
    expect(starts.get('2 score 0')).toBe(3);
    for (const [key, n] of starts) if (key !== '2 score 0') expect(n, key).toBe(1);
    const store = openStore(p.dir);
    try {
      const candidates = store.listCandidates(store.latestRun()!.id);
      const failed = candidates.filter((c) => c.status === 'failed');
      expect(failed.map((c) => c.id)).toEqual([2]);
      expect(failed[0].reason).toMatch(/stopped its worker 3 times \(killed, out of memory or lost mid-job\) and was failed after 3 attempts/);
      expect(store.measurements(2)).toEqual([]);
      // The budget counted it once: the baseline and exactly two candidates.
      expect(candidates).toHaveLength(3);
    } finally {
      store.close();
    }
    expectMeasuredOnce(p, 2, [2]);
    // Every other job done once, whichever worker did it (a victim may have measured the baseline before).
    const done = jobsDone(p);
    expect(Object.values(done).reduce((sum, n) => sum + n, 0)).toBe(starts.size - 1);
  }, 60_000);
});
