// What crosses the wire between a coordinator and its workers, and the names both sides use
// in Redis. A job describes a measurement completely (the candidate's files against the base
// commit, the plan with its seeds, the verifier digest, the labels it needs) and holds no
// secret: no API key, no environment, no Redis URL.
import type { Config } from '../config/schema.js';
import type { FileSet, StageResult } from '../core/types.js';
import type { Measured } from '../evaluate/evaluator.js';
import type { StageArtifacts } from '../store/artifacts.js';

/** BullMQ's key prefix and evoloop's own keys beside it. One coordinator per Redis database. */
export const PREFIX = 'evoloop';
/** JSON of the coordinator waiting for results (CoordinatorInfo), expiring unless refreshed. */
export const COORDINATOR_KEY = `${PREFIX}:coordinator`;
/** Hash: worker id → JSON of WorkerInfo, refreshed by each worker's heartbeat. */
export const WORKERS_KEY = `${PREFIX}:workers`;
export const COORDINATOR_TTL_S = 15;
export const HEARTBEAT_MS = 2_000;
/** A job that stopped its worker this many times (killed, out of memory, lost) fails with that reason. */
export const MAX_STALLS = 2;
/** How often a job is started at most before it fails (refusals and errors, not stage failures). */
export const MAX_ATTEMPTS = 3;
export const STALLED_REASON = 'job stalled more than allowable limit';

export interface CoordinatorInfo {
  runId: string;
  baseCommit: string;
  verifierDigest: string;
  host: string;
  pid: number;
  since: number;
}

export interface WorkerInfo {
  id: string;
  host: string;
  labels: string[];
  concurrency: number;
  jobsDone: number;
  failures: number;
  busy: number;
  lastSeen: number;
  /** Why this worker does not take the coordinator's jobs (its verifier or base commit differs). */
  refused?: string;
}

export interface EvaluationJob {
  runId: string;
  candidateId: number;
  baseCommit: string;
  commitSha: string;
  files: FileSet;
  verifierDigest: string;
  kinds: 'search' | 'holdout';
  repeats: number;
  epoch: number;
  /** The seed of each repeat (evaluate/evaluator.ts seedFor), for the record. */
  seeds: number[];
  /** Labels a worker must have for every stage of the plan. */
  requires: string[];
  /** The coordinator's objective: samples are scored the way the run scores them. */
  objective: Config['objective'];
  /** Stage results the coordinator already has: reused, never run again. */
  recorded: StageResult[];
}

/** One finished stage run as a worker reports it: the result (with its host) and what it wrote to $EVOLOOP_ARTIFACTS. */
export interface ReportedResult {
  result: StageResult;
  artifacts?: { kept: { name: string; base64: string }[]; dropped: StageArtifacts['dropped'] };
}

/** The stage results a job has produced so far (job progress: a retry reuses them). */
export interface JobProgress {
  results: ReportedResult[];
}

export interface JobResult {
  measured: Measured;
  /** Every stage result of this job. */
  results: ReportedResult[];
  worker: string;
}

export function reportResult(result: StageResult, artifacts?: StageArtifacts): ReportedResult {
  if (!artifacts) return { result };
  return { result, artifacts: { kept: artifacts.kept.map((a) => ({ name: a.name, base64: a.bytes.toString('base64') })), dropped: artifacts.dropped } };
}

export function artifactsOf(reported: ReportedResult): StageArtifacts | undefined {
  const a = reported.artifacts;
  return a && { kept: a.kept.map((k) => ({ name: k.name, bytes: Buffer.from(k.base64, 'base64') })), dropped: a.dropped };
}

/** The queue of jobs that need exactly these labels (each worker listens to every subset of its own). */
export function queueName(labels: string[]): string {
  const sorted = [...new Set(labels)].sort();
  return sorted.length === 0 ? 'evaluate' : `evaluate.${sorted.join('+')}`;
}

/** Every label set a worker with `labels` can serve, the empty one first. */
export function servedLabelSets(labels: string[]): string[][] {
  const unique = [...new Set(labels)].sort();
  const sets: string[][] = [[]];
  for (const label of unique) for (const s of [...sets]) sets.push([...s, label]);
  return sets;
}

/** One job per measurement request: a coordinator that restarts asks again for the same id and re-attaches to it. */
export function jobId(job: Pick<EvaluationJob, 'runId' | 'candidateId' | 'epoch' | 'kinds' | 'repeats'>): string {
  return `${job.runId}.${job.candidateId}.${job.epoch}.${job.kinds}.${job.repeats}`;
}
