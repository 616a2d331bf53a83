// Killing `evoloop run` at any moment loses no finished measurement, and running it
// again resumes the same run: kill -9 mid-evaluation, and SIGINT (graceful, then abandon).
// The score stage sleeps 1 s and logs start/end lines outside the repository, so we
// know which stages ran, how often, and which one was in flight at the kill.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/store.js';
import { createProblem, processAlive, waitFor, waitWhileRunning, type Problem } from '../support/problem.js';

const BUDGET = 6;

let p: Problem | undefined;
afterEach(() => p?.cleanup());

/** The verifier log split into starts and ends, keyed by "candidate stage repeat". */
function slots(problem: Problem) {
  const starts = new Map<string, number>();
  const ends = new Map<string, number>();
  const pids = new Map<string, number>();
  for (const [event, candidate, stage, repeat, pid] of problem.log()) {
    const key = `${candidate} ${stage} ${repeat}`;
    const into = event === 'start' ? starts : ends;
    into.set(key, (into.get(key) ?? 0) + 1);
    if (pid) pids.set(key, Number(pid));
  }
  const running = [...starts.keys()].filter((k) => !ends.has(k));
  return { starts, ends, running, pids };
}

/** Waits until `minEnds` stages finished and another one is running, so a kill lands mid-stage. */
async function midStage(problem: Problem, child: ChildProcess, minEnds: number) {
  const { output } = await waitWhileRunning(
    child,
    () => {
      const s = slots(problem);
      return s.ends.size >= minEnds && s.running.length > 0;
    },
    30_000,
    `${minEnds} finished stages and one running`,
  );
  await new Promise((r) => setTimeout(r, 200)); // well inside the 1 s sleep
  return output;
}

function pgidOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function snapshot(problem: Problem) {
  const store = openStore(problem.dir);
  try {
    const runs = store.listRuns();
    const rows = runs
      .flatMap((r) => [...store.queries.exportRows(r.id, 'measurements')])
      .map(({ id, candidate_id, stage, repeat, created_at }) => ({ id, candidate_id, stage, repeat, created_at })) as {
      id: number;
      candidate_id: number;
      stage: string;
      repeat: number;
      created_at: number;
    }[];
    const candidates = store.listCandidates(runs[0].id);
    return { runs, rows, candidates };
  } finally {
    store.close();
  }
}

describe('resume', () => {
  it('after kill -9 mid-evaluation: same run, no duplicate, no lost or re-run measurement', async () => {
    p = createProblem({ sleep: 1, config: { budget: { candidates: BUDGET }, search: { parallel: 2 } } });
    const child = p.spawnCli('run', '{dir}');
    await midStage(p, child, 3);
    // Everything dies at once, as in a power cut: evoloop and the verifiers in flight.
    const inFlight = slots(p);
    const verifierGroups = inFlight.running.map((k) => pgidOf(inFlight.pids.get(k)!));
    process.kill(-child.pid!, 'SIGKILL');
    for (const g of verifierGroups) process.kill(-g, 'SIGKILL');
    await once(child, 'close');
    const logAtKill = slots(p);

    const before = snapshot(p);
    expect(before.runs).toHaveLength(1);
    expect(before.runs[0].status).toBe('running');
    const runId = before.runs[0].id;
    // status tells the truth: the process is gone, and how to go on.
    const status = JSON.parse((await p.cli('status', '{dir}', '--json')).stdout);
    expect(status).toMatchObject({ run: runId, status: 'interrupted', stopReason: expect.stringMatching(/process is gone.*evoloop run/) });
    // Every stage that ended before the kill was recorded (durable before the next step).
    expect(before.rows.length).toBe(logAtKill.ends.size);

    const r = await p.cli('run', '{dir}');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Continuing run ${runId}`);

    const after = snapshot(p);
    expect(after.runs.map((x) => x.id)).toEqual([runId]);
    expect(after.runs[0].status).toBe('finished');
    // Measurements from before the kill are the same rows, untouched.
    for (const row of before.rows) expect(after.rows).toContainEqual(row);
    // One measurement per slot.
    const keys = after.rows.map((m) => `${m.candidate_id} ${m.stage} ${m.repeat}`);
    expect(new Set(keys).size).toBe(keys.length);
    const log = slots(p);
    for (const [key, n] of log.ends) expect(n, `slot ${key} finished more than once`).toBe(1);
    for (const [key, n] of log.starts) {
      // Only the stages killed mid-run were started again; finished ones never re-ran.
      expect(n, `slot ${key}`).toBe(logAtKill.running.includes(key) ? 2 : 1);
    }
    expect(log.ends.size).toBe(after.rows.length);
    // The interrupted candidates were evaluated on resume, and the budget holds across sessions.
    expect(after.candidates.filter((c) => c.operator !== 'baseline')).toHaveLength(BUDGET);
    expect(after.candidates.filter((c) => c.status === 'pending')).toHaveLength(0);
    for (const key of logAtKill.running) {
      const id = Number(key.split(' ')[0]);
      expect(['accepted', 'rejected']).toContain(after.candidates.find((c) => c.id === id)!.status);
    }
  });

  it('after kill -9 of evoloop alone, the resumed run kills the verifier it left running before reusing its worktree', async () => {
    // The orphan must still be sleeping when the resumed run starts: leave a loaded machine room for that start.
    p = createProblem({ sleep: 6, config: { budget: { candidates: 2 } } });
    const child = p.spawnCli('run', '{dir}');
    await midStage(p, child, 1);
    const inFlight = slots(p);
    const orphanGroups = inFlight.running.map((k) => pgidOf(inFlight.pids.get(k)!));
    process.kill(-child.pid!, 'SIGKILL'); // evoloop only: its verifier, in its own group, lives on
    await once(child, 'close');
    expect(orphanGroups.every((g) => groupAlive(g))).toBe(true);

    const r = await p.cli('run', '{dir}');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/killed 1 verifier process group\(s\) left running/);
    expect(orphanGroups.some((g) => groupAlive(g))).toBe(false);
    // The orphan never finished its stage: each slot ended exactly once, from the resumed run.
    const log = slots(p);
    for (const [key, n] of log.ends) expect(n, `slot ${key}`).toBe(1);
    for (const key of inFlight.running) expect(log.starts.get(key)).toBe(2);
  });

  it('SIGINT stops gracefully (in-flight work finishes), records the run as interrupted, and resumes', async () => {
    p = createProblem({ sleep: 1, config: { budget: { candidates: BUDGET } } });
    const child = p.spawnCli('run', '{dir}');
    const output = await midStage(p, child, 2);
    const running = slots(p).running;
    process.kill(-child.pid!, 'SIGINT'); // what Ctrl-C in a terminal does
    const [code] = await once(child, 'close');
    expect(output()).toMatch(/SIGINT: finishing the candidates in flight/);
    expect(code).toBe(130); // the shell's code for Ctrl-C: a script can tell a stop from a finish

    const log = slots(p);
    expect(log.running).toEqual([]); // the stage in flight was allowed to finish
    for (const key of running) expect(log.ends.get(key)).toBe(1);
    const before = snapshot(p);
    expect(before.runs[0]).toMatchObject({ status: 'interrupted', stopReason: 'stopped by the user' });
    expect(before.rows.length).toBe(log.ends.size);
    expect(before.candidates.filter((c) => c.status === 'pending')).toHaveLength(0);
    const doneBefore = before.candidates.length - 1;
    expect(doneBefore).toBeLessThan(BUDGET);

    const r = await p.cli('run', '{dir}');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Continuing run ${before.runs[0].id}`);
    const after = snapshot(p);
    expect(after.runs).toHaveLength(1);
    expect(after.runs[0].status).toBe('finished');
    expect(after.candidates.filter((c) => c.operator !== 'baseline')).toHaveLength(BUDGET);
    for (const [key, n] of slots(p).starts) expect(n, `slot ${key}`).toBe(1);
  });

  it('a second SIGINT abandons the stage in flight (killed), and resume evaluates that candidate', async () => {
    p = createProblem({ sleep: 1, config: { budget: { candidates: BUDGET } } });
    const child = p.spawnCli('run', '{dir}');
    const output = await midStage(p, child, 2);
    const inFlight = slots(p);
    process.kill(-child.pid!, 'SIGINT');
    await new Promise((r) => setTimeout(r, 100));
    process.kill(-child.pid!, 'SIGINT');
    const started = Date.now();
    await once(child, 'close');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(output()).toMatch(/abandoning/);
    // The abandoned verifier was killed with its process group, not left running.
    for (const key of inFlight.running) {
      await waitFor(() => !processAlive(inFlight.pids.get(key)!), 3000, `verifier of ${key} to be gone`);
    }
    const before = snapshot(p);
    expect(before.runs[0].status).toBe('interrupted');
    const pending = before.candidates.filter((c) => c.status === 'pending');
    expect(pending.map((c) => String(c.id))).toEqual(inFlight.running.map((k) => k.split(' ')[0]));

    const r = await p.cli('run', '{dir}');
    expect(r.code, r.stderr).toBe(0);
    const after = snapshot(p);
    expect(after.runs).toHaveLength(1);
    expect(after.candidates.filter((c) => c.operator !== 'baseline')).toHaveLength(BUDGET);
    for (const c of pending) expect(['accepted', 'rejected']).toContain(after.candidates.find((x) => x.id === c.id)!.status);
    const keys = after.rows.map((m) => `${m.candidate_id} ${m.stage} ${m.repeat}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
