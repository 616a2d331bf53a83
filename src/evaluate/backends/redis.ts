// The redis backend: candidates are measured by `evoloop worker` processes on any machine,
// through BullMQ jobs (distributed/queue.ts), and by this process too when --local-slots
// allows. Whatever measured it, each stage result is recorded here, through the recorder, as
// the worker reports it and again with the job's result: the store's unique key keeps the first.
import { hostname } from 'node:os';
import type { StageConfig } from '../../config/schema.js';
import { EvaluationQueue } from '../../distributed/queue.js';
import { maskRedisUrl } from '../../distributed/connection.js';
import { artifactsOf, type EvaluationJob, type ReportedResult } from '../../distributed/protocol.js';
import type { Store } from '../../store/store.js';
import { checkVerifier, type BackendDeps, type CandidateSpec, type EvaluationBackend, type MeasurePlan } from '../backend.js';
import { seedFor, type Measured } from '../evaluator.js';
import { storeRecorder, type MeasurementRecorder } from '../recorder.js';
import { LocalBackend } from './local.js';

/** How often the workers and the queue's depth are copied into the store (status and the dashboard read them there). */
const WATCH_MS = 2_000;

export class RedisBackend implements EvaluationBackend {
  private readonly local: LocalBackend;
  private readonly queue: EvaluationQueue;
  private readonly recorder: MeasurementRecorder;
  private readonly watch: NodeJS.Timeout;
  private readonly refusals = new Map<string, string>();
  private freeLocal: number;

  constructor(private readonly deps: BackendDeps) {
    if (!deps.redis) throw new Error('the redis backend needs a Redis URL (--redis)');
    const notice = deps.notice ?? (() => {});
    this.local = new LocalBackend(deps);
    this.recorder = storeRecorder(deps.store, deps.config.artifacts.run_mb * 1024 * 1024);
    this.freeLocal = deps.redis.localSlots;
    this.queue = new EvaluationQueue({ url: deps.redis.url, notice });
    this.queue.announce({
      runId: deps.runId,
      baseCommit: deps.workspace.baseCommit,
      verifierDigest: this.local.verifierDigest,
      host: hostname(),
      pid: process.pid,
      since: Date.now(),
    });
    notice(
      `evaluating through Redis at ${maskRedisUrl(deps.redis.url)}: workers (evoloop worker --redis URL) take the candidates${deps.redis.localSlots > 0 ? `, and ${deps.redis.localSlots} local slot(s) here` : ''}`,
    );
    this.watch = setInterval(() => void this.copyWorkers(deps.store, notice), WATCH_MS);
  }

  get protectedPaths(): string[] {
    return this.local.protectedPaths;
  }

  get verifierDigest(): string {
    return this.local.verifierDigest;
  }

  async measure(candidate: CandidateSpec, plan: MeasurePlan): Promise<Measured> {
    checkVerifier(candidate, this.verifierDigest);
    const requires = requiredLabels(this.deps.config.verifier.stages, plan.kinds);
    if (this.freeLocal > 0 && requires.length === 0) {
      this.freeLocal--;
      try {
        return await this.local.measure(candidate, plan);
      } finally {
        this.freeLocal++;
      }
    }
    const epoch = plan.epoch ?? 0;
    const job: EvaluationJob = {
      ...candidate,
      kinds: plan.kinds,
      repeats: plan.repeats,
      epoch,
      seeds: Array.from({ length: plan.repeats }, (_, r) => seedFor(epoch, r)),
      requires,
      objective: this.deps.config.objective,
      recorded: this.recorder.recorded(candidate.candidateId, epoch),
    };
    const record = (results: ReportedResult[]) => {
      for (const r of results) this.recorder.record(candidate.candidateId, epoch, r.result, artifactsOf(r));
    };
    let stop = () => {};
    const aborted = new Promise<Measured>((resolve) => {
      stop = () => resolve({ ok: false, failure: { kind: 'signal', stage: 'queue', message: 'run stopped' } });
      if (this.deps.signal.aborted) stop();
      this.deps.signal.addEventListener('abort', stop, { once: true });
    });
    try {
      const result = this.queue.submit(job, record).then(
        (r) => r.measured,
        (err: Error): Measured => ({ ok: false, failure: { kind: 'crash', stage: 'queue', message: err.message } }),
      );
      return await Promise.race([result, aborted]);
    } finally {
      this.deps.signal.removeEventListener('abort', stop);
      if (this.deps.signal.aborted) this.queue.forget(job);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.watch);
    await this.copyWorkers(this.deps.store, () => {});
    await this.queue.close();
  }

  private async copyWorkers(store: Store, notice: (message: string) => void): Promise<void> {
    if (!this.queue.isReachable) return;
    try {
      const workers = await this.queue.workers();
      store.fleet.saveWorkers(this.deps.runId, workers);
      store.fleet.saveQueueDepth(this.deps.runId, await this.queue.depth());
      for (const w of workers) {
        if (w.refused && this.refusals.get(w.id) !== w.refused) notice(`worker ${w.id} refused this run: ${w.refused}`);
        this.refusals.set(w.id, w.refused ?? '');
      }
    } catch {
      // Redis went away mid-copy: the connection has told the user; the next copy catches up.
    }
  }
}

/** The labels a worker needs for every stage the plan runs. */
export function requiredLabels(stages: StageConfig[], kinds: MeasurePlan['kinds']): string[] {
  const used = stages.filter((s) => (kinds === 'holdout' ? s.kind === 'holdout' : s.kind !== 'holdout'));
  return [...new Set(used.flatMap((s) => s.requires ?? []))].sort();
}
