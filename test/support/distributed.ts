// What the distributed tests share: a real redis-server, a test problem and `evoloop worker`
// processes (test/support/workers.ts), all gone after each test; and what the tests read back:
// the verifier log's runs per candidate, the workers' jobs done and the run's measurements.
import { afterEach, expect } from 'vitest';
import { openStore } from '../../src/store/store.js';
import { createProblem, type Problem, type ProblemOptions } from './problem.js';
import { startRedisServer, type RedisServer } from './redis-server.js';
import { cloneProblem, spawnWorker, type WorkerProcess } from './workers.js';

export type { WorkerProcess };

export interface DistributedFixture {
  startRedis(opts?: { password?: string }): Promise<RedisServer>;
  problem(opts: ProblemOptions): Problem;
  /** A worker in a new clone named `name` of the current problem, on the current Redis. */
  worker(name: string, args?: string[], opts?: { dir?: string; env?: NodeJS.ProcessEnv; viaEnvironment?: boolean }): WorkerProcess;
  readonly workers: WorkerProcess[];
}

/** Call once at the top of a test file: each test's Redis, problem and workers are cleaned up after it. */
export function useDistributed(): DistributedFixture {
  let redis: RedisServer | undefined;
  let p: Problem | undefined;
  const workers: WorkerProcess[] = [];
  afterEach(async () => {
    for (const w of workers.splice(0)) w.kill();
    await redis?.cleanup();
    p?.cleanup();
    redis = p = undefined;
  });
  return {
    workers,
    startRedis: async (opts) => (redis = await startRedisServer(opts)),
    problem: (opts) => (p = createProblem(opts)),
    worker: (name, args = [], opts = {}) => {
      if (!p || !redis) throw new Error('start Redis and create the problem before the workers');
      const w = spawnWorker(opts.dir ?? cloneProblem(p, name), opts.viaEnvironment ? undefined : redis.url, args, opts.env);
      workers.push(w);
      return w;
    },
  };
}

/** Starts and ends per "candidate stage repeat" in problem.ts's verifier log, and the runs not ended (running or killed). */
export function verifierRuns(problem: Problem) {
  const starts = new Map<string, number>();
  const ends = new Map<string, number>();
  for (const [event, candidate, stage, repeat] of problem.log()) {
    const into = event === 'start' ? starts : ends;
    const key = `${candidate} ${stage} ${repeat}`;
    into.set(key, (into.get(key) ?? 0) + 1);
  }
  return { starts, ends, running: [...starts.keys()].filter((k) => !ends.has(k)) };
}

/** The run finished, and every candidate it measured but `except` has exactly one measurement (score, repeat 0). */
export function expectMeasuredOnce(problem: Problem, candidates: number, except: number[] = []): void {
  const store = openStore(problem.dir);
  try {
    const run = store.latestRun()!;
    expect(run.status).toBe('finished');
    const measured = store.listCandidates(run.id).filter((c) => !['invalid', 'duplicate'].includes(c.status) && !except.includes(c.id));
    expect(measured.length).toBeGreaterThanOrEqual(candidates);
    for (const c of measured) {
      expect(c.status).not.toBe('pending');
      expect(store.measurements(c.id).map((m) => `${m.stage}#${m.repeat}`)).toEqual(['score#0']);
    }
  } finally {
    store.close();
  }
}

/** jobsDone per worker id, as the coordinator last copied the workers' heartbeats into the store (what status shows). */
export function jobsDone(problem: Problem): Record<string, number> {
  const store = openStore(problem.dir);
  try {
    return Object.fromEntries(store.fleet.workers(store.latestRun()!.id).map((w) => [w.id, w.jobsDone]));
  } finally {
    store.close();
  }
}
