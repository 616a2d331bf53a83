// The records the store reads and writes, and their conversion from SQLite rows (snake_case
// columns, JSON text) to the camelCase objects the rest of evoloop uses.
import type { CandidateStatus, Metrics, StageResult } from '../core/types.js';
import { parseVerdict, type Verdict } from './verdict.js';

export type RunStatus = 'running' | 'interrupted' | 'finished' | 'failed';

export interface RunRecord {
  id: string;
  createdAt: number;
  updatedAt: number;
  problemDir: string;
  repoRoot: string;
  baseCommit: string;
  configJson: string;
  configHash: string;
  status: RunStatus;
  stopReason: string | null;
  baselineId: number | null;
  championId: number | null;
  elapsedMs: number;
  ownerPid: number | null;
  heartbeatAt: number | null;
}

export interface CandidateRecord {
  id: number;
  runId: string;
  parentId: number | null;
  parent2Id: number | null;
  /** Every parent, primary first (parentId is the first); empty for the baseline. */
  parents: number[];
  status: CandidateStatus;
  reason: string | null;
  operator: string;
  model: string | null;
  description: string;
  /** path → blob hash, for every file that differs from the base. */
  files: Record<string, string>;
  patch: string;
  changeHash: string;
  commitSha: string | null;
  ref: string | null;
  score: number | null;
  metrics: Metrics | null;
  verdict: Verdict | null;
  flags: string[];
  island: number | null;
  /** The prompt style a model proposal was asked in (operators/styles.ts), null otherwise. */
  style: string | null;
  tokensIn: number;
  tokensOut: number;
  usd: number;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  evalMs: number | null;
}

/** A remote worker as the coordinator last saw it (busy: jobs it was running). */
export interface WorkerRecord {
  id: string;
  host: string;
  labels: string[];
  jobsDone: number;
  failures: number;
  busy: number;
  lastSeen: number;
}

export interface MeasurementRecord extends StageResult {
  id: number;
  candidateId: number;
  epoch: number;
  createdAt: number;
}

export type Row = Record<string, unknown>;

// Column names are a small fixed set, so each conversion is computed once (rows are read by the 100,000).
const memo = (f: (s: string) => string) => {
  const seen = new Map<string, string>();
  return (s: string) => seen.get(s) ?? (seen.set(s, f(s)), seen.get(s)!);
};
const camel = memo((s) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()));
export const snake = memo((s) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`).replace(/([a-z])(\d)/g, '$1_$2'));

export function toRun(row: Row): RunRecord {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [camel(k), v])) as unknown as RunRecord;
}

export function toCandidate(row: Row): CandidateRecord {
  const c = Object.fromEntries(Object.entries(row).map(([k, v]) => [camel(k), v])) as Row;
  c.files = JSON.parse(c.filesJson as string);
  c.metrics = c.metricsJson ? JSON.parse(c.metricsJson as string) : null;
  c.verdict = c.verdictJson ? parseVerdict(c.verdictJson as string, c.id as number) : null;
  c.flags = JSON.parse(c.flagsJson as string);
  c.parents = JSON.parse(c.parentsJson as string);
  delete c.parentsJson;
  delete c.filesJson;
  delete c.metricsJson;
  delete c.verdictJson;
  delete c.flagsJson;
  return c as unknown as CandidateRecord;
}

export function toMeasurement(row: Row): MeasurementRecord {
  return {
    id: row.id as number,
    candidateId: row.candidate_id as number,
    epoch: row.epoch as number,
    stage: row.stage as string,
    kind: row.kind as MeasurementRecord['kind'],
    repeat: row.repeat as number,
    seed: row.seed as number,
    ok: row.ok === 1,
    failure: row.failure_kind ? { kind: row.failure_kind as NonNullable<StageResult['failure']>['kind'], message: row.failure_message as string } : undefined,
    metrics: JSON.parse(row.metrics_json as string),
    feedback: (row.feedback as string | null) ?? undefined,
    exitCode: row.exit_code as number | null,
    signal: row.signal as string | null,
    durationMs: row.duration_ms as number,
    stdoutTail: row.stdout_tail as string,
    stderrTail: row.stderr_tail as string,
    host: (row.host as string | null) ?? undefined,
    createdAt: row.created_at as number,
  };
}
