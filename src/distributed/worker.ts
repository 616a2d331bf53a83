// `evoloop worker`: pulls evaluation jobs from the coordinator's BullMQ queues (one per label
// set it can serve), measures each in this clone's own worktree pool under the same sandbox and
// limits as a local run, and hands the stage results back as the job's progress and result.
// A worker killed mid-job loses its lock; BullMQ's stalled-job check gives the job to another
// worker, which reuses the stage results already reported. Stop: finish the jobs in flight;
// abandon: they go back to the queue at once.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { WaitingError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { UsageError } from '../core/errors.js';
import { lockOwner, tryLock } from '../evaluate/exclusive-lock.js';
import { killStrayProcesses } from '../evaluate/strays.js';
import { closeRedis, connectRedis, maskRedisUrl } from './connection.js';
import {
  COORDINATOR_KEY,
  HEARTBEAT_MS,
  MAX_STALLS,
  PREFIX,
  queueName,
  servedLabelSets,
  WORKERS_KEY,
  type CoordinatorInfo,
  type EvaluationJob,
  type JobProgress,
  type JobResult,
  type ReportedResult,
  type WorkerInfo,
  reportResult,
} from './protocol.js';
import { jobKey, WorkerSession } from './worker-session.js';

export interface WorkerOptions {
  problemDir: string;
  url: string;
  concurrency: number;
  labels: string[];
  /** Fetch a missing base commit from origin. */
  fetch: boolean;
  /** How long a silent worker keeps its jobs before they go to another (lock duration and stalled-check interval). */
  stallMs: number;
  log: (line: string) => void;
}

export interface WorkerHandle {
  id: string;
  done: Promise<void>;
  /** Finish the jobs in flight and stop; with `abandon`, stop them now (they go back to the queue). */
  stop(opts?: { abandon?: boolean }): void;
}

const LOOK_MS = 1_000;
const MAX_LABELS = 5;

export function startWorker(opts: WorkerOptions): WorkerHandle {
  if (opts.labels.length > MAX_LABELS) throw new UsageError(`--labels: at most ${MAX_LABELS} labels per worker (got ${opts.labels.length}).`);
  const problemDir = path.resolve(opts.problemDir);
  const stateDir = path.join(problemDir, '.evoloop');
  mkdirSync(stateDir, { recursive: true });
  // evoloop's folder never shows up in the user's `git status` (as the store does it).
  if (!existsSync(path.join(stateDir, '.gitignore'))) writeFileSync(path.join(stateDir, '.gitignore'), '*\n');
  const releaseClone = tryLock(path.join(problemDir, '.evoloop', 'worker.lock'));
  if (!releaseClone) {
    throw new UsageError(
      `another evoloop worker (pid ${lockOwner(path.join(problemDir, '.evoloop', 'worker.lock'))}) uses this clone. Fix: give that one more --concurrency, or run this one in its own clone.`,
    );
  }
  const host = hostname();
  const id = `${host}/${process.pid}/${randomBytes(2).toString('hex')}`;
  const where = maskRedisUrl(opts.url);
  const abandon = new AbortController();
  const stats: WorkerInfo = { id, host, labels: opts.labels, concurrency: opts.concurrency, jobsDone: 0, failures: 0, busy: 0, lastSeen: Date.now() };
  const redis = connectRedis(opts.url, {
    down: (reason) => opts.log(`lost Redis at ${where} (${reason}); reconnecting (jobs in flight go on)`),
    up: () => opts.log(`reconnected to Redis at ${where}`),
  });
  const workers: Worker[] = [];
  const connections: Redis[] = [];
  const slots = new Slots(opts.concurrency);
  let session: WorkerSession | undefined;
  let seen = '';
  let stopping = false;

  opts.log(
    `worker ${id}: talking to Redis at ${where} (concurrency ${opts.concurrency}${opts.labels.length ? `, labels ${opts.labels.join(',')}` : ', no labels'})`,
  );

  // A verifier left running by a worker of this clone that was killed (kill -9) would hold its pool and distort timings.
  void killStrayProcesses(stateDir).then((n) => n > 0 && opts.log(`killed ${n} verifier process group(s) left running by an earlier worker here`));

  const heartbeat = () => void redis.hset(WORKERS_KEY, id, JSON.stringify({ ...stats, lastSeen: Date.now() })).catch(() => {});
  heartbeat();
  const beat = setInterval(heartbeat, HEARTBEAT_MS);

  const measureJob = async (job: Job, token?: string): Promise<JobResult> => {
    const data = job.data as EvaluationJob;
    const current = session;
    if (!current || current.baseCommit !== data.baseCommit || current.digest !== data.verifierDigest) {
      stats.failures++;
      throw new Error(
        `worker ${id} refused candidate ${data.candidateId}: it is not serving base ${data.baseCommit.slice(0, 12)} with verifier ${data.verifierDigest.slice(0, 12)}`,
      );
    }
    const release = await slots.take();
    stats.busy++; // told with the next periodic heartbeat: one Redis round trip less per job
    const key = jobKey(data.candidateId, data.epoch);
    // Results of an earlier attempt (a worker that died mid-job) are reused, not run again.
    const produced: ReportedResult[] = [...((job.progress as Partial<JobProgress>)?.results ?? [])];
    let reported = Promise.resolve();
    current.jobs.set(key, {
      recorded: [...data.recorded, ...produced.map((p) => p.result)],
      record: (r, artifacts) => {
        produced.push(reportResult({ ...r, host }, artifacts));
        const progress: JobProgress = { results: [...produced] };
        reported = reported.then(() => job.updateProgress(progress)).catch(() => {});
      },
    });
    try {
      const backend = current.backendFor(data.runId, data.objective);
      const measured = await backend.measure(data, { kinds: data.kinds, repeats: data.repeats, epoch: data.epoch });
      await reported;
      if (abandon.signal.aborted) {
        await job.moveToWait(token);
        throw new WaitingError();
      }
      stats.jobsDone++;
      return { measured, results: produced, worker: id };
    } catch (err) {
      if (!(err instanceof WaitingError)) stats.failures++;
      throw err;
    } finally {
      current.jobs.delete(key);
      stats.busy--;
      release();
      heartbeat(); // jobs done are exact as soon as the coordinator has the result
    }
  };

  const serve = () => {
    if (workers.length > 0) {
      for (const w of workers) w.resume();
      return;
    }
    for (const labels of servedLabelSets(opts.labels)) {
      const connection = redis.duplicate();
      connection.on('error', () => {});
      connections.push(connection);
      const worker = new Worker(queueName(labels), measureJob, {
        connection,
        prefix: PREFIX,
        concurrency: opts.concurrency,
        lockDuration: opts.stallMs,
        stalledInterval: opts.stallMs,
        maxStalledCount: MAX_STALLS,
        drainDelay: 1,
      });
      worker.on('error', () => {}); // the connection tells outages once
      worker.on('failed', (job, err) => {
        if (job && !(err instanceof WaitingError)) opts.log(`job for candidate ${(job.data as EvaluationJob).candidateId} failed here: ${err.message}`);
      });
      workers.push(worker);
    }
  };

  // Which coordinator is waiting, and whether this clone can serve it.
  const look = async () => {
    if (stopping) return;
    const text = await redis.get(COORDINATOR_KEY).catch(() => undefined);
    if (text === undefined) return; // Redis away: told by the connection
    if (text === null) {
      if (seen !== 'none') opts.log(`no coordinator is waiting on ${where} yet; waiting for one (evoloop run PROBLEM --redis URL)`);
      seen = 'none';
      return;
    }
    const info = JSON.parse(text) as CoordinatorInfo;
    const which = `${info.runId} ${info.baseCommit} ${info.verifierDigest}`;
    if (which === seen) return;
    seen = which;
    const prepared = await WorkerSession.prepare(problemDir, info, { fetch: opts.fetch, poolSize: opts.concurrency, signal: abandon.signal }).catch(
      (err: Error) => ({
        refused: err.message,
      }),
    );
    if ('refused' in prepared) {
      opts.log(`refusing run ${info.runId} of the coordinator on ${info.host}: ${prepared.refused}`);
      stats.refused = prepared.refused;
      session = undefined;
      for (const w of workers) void w.pause(true);
    } else {
      opts.log(
        `serving run ${info.runId} of the coordinator on ${info.host} (base ${info.baseCommit.slice(0, 12)}, verifier ${info.verifierDigest.slice(0, 12)})`,
      );
      delete stats.refused;
      session = prepared;
      serve();
    }
    heartbeat();
  };
  let looking = Promise.resolve();
  const lookTimer = setInterval(() => (looking = looking.then(look)), LOOK_MS);
  looking = looking.then(look);

  let finished!: () => void;
  const done = new Promise<void>((r) => (finished = r));
  const handle: WorkerHandle = {
    id,
    done,
    stop({ abandon: now } = {}) {
      if (now) abandon.abort();
      if (stopping) return;
      stopping = true;
      clearInterval(lookTimer);
      void (async () => {
        await looking;
        await Promise.all(workers.map((w) => w.close()));
        clearInterval(beat);
        stats.busy = 0;
        await redis.hset(WORKERS_KEY, id, JSON.stringify({ ...stats, lastSeen: Date.now() })).catch(() => {});
        for (const c of connections) await closeRedis(c);
        await closeRedis(redis);
        releaseClone();
        finished();
      })();
    },
  };
  return handle;
}

/** The worker's --concurrency, shared by its queues (one per label set). */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(n: number) {
    this.free = n;
  }
  async take(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((r) => this.waiting.push(r));
    return () => {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
  }
}
