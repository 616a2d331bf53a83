// The coordinator's side of the BullMQ queue: it enqueues one job per measurement request and
// waits for its result. A result comes with the queue's `completed` event (no further round
// trip); as a safety net each pending job's state is also looked at every few seconds and as
// soon as Redis is back after an outage, so a missed event, a coordinator restart (the same job
// id re-attaches to the job in flight, or finds it finished) and a Redis that came back empty
// (the job is added again) all end in the one result. Workers' heartbeats and the queue's
// depth are read here.
import { Queue, QueueEvents, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { closeRedis, connectRedis, maskRedisUrl } from './connection.js';
import {
  COORDINATOR_KEY,
  COORDINATOR_TTL_S,
  jobId,
  MAX_ATTEMPTS,
  MAX_STALLS,
  PREFIX,
  queueName,
  STALLED_REASON,
  WORKERS_KEY,
  type CoordinatorInfo,
  type EvaluationJob,
  type JobProgress,
  type JobResult,
  type ReportedResult,
  type WorkerInfo,
} from './protocol.js';

/** The safety net's period: events carry the results, this only catches what they missed. */
const CHECK_MS = 3_000;
/** Finished jobs stay this long, so a coordinator restarted within it finds their results. */
const KEEP_S = 7 * 24 * 3600;

interface Pending {
  job: EvaluationJob;
  queue: Queue;
  onResults: (results: ReportedResult[]) => void;
  resolve: (r: JobResult) => void;
  reject: (err: Error) => void;
}

export interface QueueOptions {
  url: string;
  /** Told when Redis goes away and when it is back. */
  notice: (message: string) => void;
}

export class EvaluationQueue {
  private readonly redis: Redis;
  private readonly queues = new Map<string, { queue: Queue; events: QueueEvents; eventsConnection: Redis }>();
  private readonly pending = new Map<string, Pending>();
  private readonly checker: NodeJS.Timeout;
  private coordinator?: NodeJS.Timeout;
  private reachable = true;
  /** A look at the pending jobs is under way (they are not looked at twice at once). */
  private checking = false;

  constructor(private readonly opts: QueueOptions) {
    const where = maskRedisUrl(opts.url);
    this.redis = connectRedis(opts.url, {
      down: (reason) => {
        this.reachable = false;
        opts.notice(`Redis at ${where} is unreachable (${reason}): proposals pause until it is back; measurements in flight are kept`);
      },
      up: () => {
        this.reachable = true;
        opts.notice(`Redis at ${where} is back: continuing`);
        void this.checkPending(); // a Redis that came back empty lost the jobs: ask again now
      },
    });
    this.checker = setInterval(() => void this.checkPending(), CHECK_MS);
  }

  get isReachable(): boolean {
    return this.reachable;
  }

  /** Announces this coordinator to workers (they check its base commit and verifier digest), refreshed until close(). */
  announce(info: CoordinatorInfo): void {
    const publish = () => void this.redis.set(COORDINATOR_KEY, JSON.stringify(info), 'EX', COORDINATOR_TTL_S).catch(() => {});
    publish();
    this.coordinator = setInterval(publish, (COORDINATOR_TTL_S * 1000) / 3);
  }

  /** Enqueues a measurement (or re-attaches to the one already there) and resolves with its result. */
  async submit(job: EvaluationJob, onResults: (results: ReportedResult[]) => void): Promise<JobResult> {
    const { queue } = this.queueFor(job.requires);
    const id = jobId(job);
    const result = new Promise<JobResult>((resolve, reject) => this.pending.set(id, { job, queue, onResults, resolve, reject }));
    await this.add(queue, job);
    void this.look(id, queue); // it may have finished before this coordinator (re)started
    return result;
  }

  /** Stops waiting for a job (the run was abandoned); the job itself stays and is re-attached on resume. */
  forget(job: EvaluationJob): void {
    this.pending.delete(jobId(job));
  }

  async workers(): Promise<WorkerInfo[]> {
    const all = await this.redis.hgetall(WORKERS_KEY);
    return Object.values(all).map((v) => JSON.parse(v) as WorkerInfo);
  }

  /** Jobs waiting for a worker and jobs being run, over every queue this coordinator uses. */
  async depth(): Promise<{ waiting: number; active: number }> {
    let waiting = 0;
    let active = 0;
    for (const { queue } of this.queues.values()) {
      const c = await queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active');
      waiting += (c.waiting ?? 0) + (c.prioritized ?? 0) + (c.delayed ?? 0);
      active += c.active ?? 0;
    }
    return { waiting, active };
  }

  async close(): Promise<void> {
    clearInterval(this.checker);
    if (this.coordinator) clearInterval(this.coordinator);
    await this.redis.del(COORDINATOR_KEY).catch(() => {});
    for (const { queue, events, eventsConnection } of this.queues.values()) {
      await events.close();
      await queue.close();
      await closeRedis(eventsConnection);
    }
    await closeRedis(this.redis);
  }

  private queueFor(labels: string[]): { queue: Queue } {
    const name = queueName(labels);
    let entry = this.queues.get(name);
    if (!entry) {
      const queue = new Queue(name, { connection: this.redis, prefix: PREFIX });
      queue.on('error', () => {}); // told once, by the connection
      const eventsConnection = this.redis.duplicate();
      eventsConnection.on('error', () => {});
      const events = new QueueEvents(name, { connection: eventsConnection, prefix: PREFIX });
      events.on('error', () => {});
      events.on('completed', ({ jobId, returnvalue }) => this.settle(jobId, returnvalue as unknown as JobResult));
      events.on('failed', ({ jobId }) => void this.check(jobId));
      events.on('progress', ({ jobId, data }) => {
        const results = (data as Partial<JobProgress>)?.results;
        if (Array.isArray(results)) this.pending.get(jobId)?.onResults(results);
      });
      entry = { queue, events, eventsConnection };
      this.queues.set(name, entry);
    }
    return entry;
  }

  private async add(queue: Queue, job: EvaluationJob): Promise<void> {
    await queue.add('measure', job, {
      jobId: jobId(job),
      attempts: MAX_ATTEMPTS,
      backoff: { type: 'fixed', delay: 500 },
      removeOnComplete: { age: KEEP_S },
      removeOnFail: { age: KEEP_S },
    });
  }

  /** Looks at every pending job's state (one cheap command each), and settles or re-adds the ones that need it. */
  private async checkPending(): Promise<void> {
    if (!this.reachable || this.checking) return;
    this.checking = true;
    try {
      for (const [id, p] of [...this.pending]) await this.look(id, p.queue);
    } finally {
      this.checking = false;
    }
  }

  /** One cheap command for a job's state; the job itself is read only when it has ended or is gone. */
  private async look(id: string, queue: Queue): Promise<void> {
    const state = await queue.getJobState(id).catch(() => undefined);
    if (state === 'completed' || state === 'failed' || state === 'unknown') await this.check(id);
  }

  private settle(id: string, result: JobResult): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    p.onResults(result.results);
    p.resolve(result);
  }

  /** Settles a pending job that has finished; adds it again when Redis no longer has it. */
  private async check(id: string): Promise<void> {
    const p = this.pending.get(id);
    if (!p) return;
    let job: Job | undefined;
    try {
      job = (await p.queue.getJob(id)) as Job | undefined;
      if (!job) return void (await this.add(p.queue, p.job)); // Redis lost it (restarted empty): ask again
      const state = await job.getState();
      if (state === 'completed') this.settle(id, job.returnvalue as JobResult);
      else if (state === 'failed') {
        this.pending.delete(id);
        p.reject(new Error(describeFailedJob(job)));
      }
    } catch {
      // Redis went away mid-check: the next check (or event) settles it.
    }
  }
}

function describeFailedJob(job: Job): string {
  if (job.failedReason === STALLED_REASON) {
    return `the evaluation stopped its worker ${MAX_STALLS + 1} times (killed, out of memory or lost mid-job) and was failed after ${MAX_STALLS + 1} attempts`;
  }
  return `the evaluation failed on the workers after ${job.attemptsMade} attempt(s): ${job.failedReason}`;
}
