// The headline of a run, as `status`, the library and the report show it.
import { processAlive } from '../core/process-alive.js';
import type { CandidateRecord, RunRecord, Store } from './store.js';
import type { StoredNoise, StoredNoiseModel } from './verdict.js';
import { reportedGains, type ReportedGain } from './reported-gain.js';
import { sampleScoring } from './samples.js';

export interface RunSummary extends RunHeadline {
  goal: 'maximize' | 'minimize';
  /** The acceptance rule, and whether it is the naive one. */
  accept: { rule: string; naive: boolean };
  /** The baseline's noise floor (spread of its repeated measurements). */
  noise: StoredNoise | null;
  /** Rule pooled: whether verdicts compare seed by seed or unpaired, and why. */
  noiseModel: StoredNoiseModel | null;
  /** Every champion in order (the baseline, then each candidate that became the run's best; on islands not every elite): estimated gain over what it raced, with its interval, and holdout. */
  champions: ChampionLine[];
  /** Candidates that changed protected files, and champions that raised the holdout alarm. */
  integrity: { tampered: number[]; holdoutAlarms: number[]; suspicious: number[] };
}

export interface ChampionLine {
  id: number;
  score: number | null;
  gain: number | null;
  /** null ends: unbounded (too few samples for that coverage). */
  ci: [number | null, number | null] | null;
  pValue: number | null;
  holdout: number | null;
  flags: string[];
  /** The gain over the baseline from samples that did not select it (store/reported-gain.ts); null for the baseline. */
  reported: ReportedGain | null;
}

/** The figures every view of a run leads with: `status`, the report, the library and the dashboard's header. */
export interface RunHeadline {
  run: string;
  status: RunRecord['status'];
  stopReason: string | null;
  baseCommit: string;
  /** Every candidate except the baseline. */
  candidates: number;
  accepted: number;
  byStatus: Record<string, number>;
  baseline: number | null;
  best: number | null;
  bestCandidate: number | null;
  elapsedMs: number;
  spend: { calls: number; inputTokens: number; outputTokens: number; cachedTokens: number; usd: number };
}

/** The headline alone: a few indexed reads, cheap enough for the dashboard's every poll at 100,000 candidates. */
export function headline(store: Store, run: RunRecord): RunHeadline {
  const byStatus = store.countByStatus(run.id);
  const total = Object.values(byStatus).reduce((s, n) => s + n, 0);
  return {
    run: run.id,
    ...liveStatus(run),
    baseCommit: run.baseCommit,
    candidates: Math.max(0, total - (run.baselineId !== null ? 1 : 0)),
    accepted: byStatus.accepted ?? 0,
    byStatus,
    baseline: run.baselineId !== null ? store.queries.score(run.baselineId) : null,
    best: run.championId !== null ? store.queries.score(run.championId) : null,
    bestCandidate: run.championId,
    elapsedMs: liveElapsedMs(run),
    spend: store.llmCalls.spend(run.id),
  };
}

export function summarize(store: Store, runId: string): RunSummary {
  const run = store.getRun(runId);
  if (!run) throw new Error(`no run ${runId} in ${store.file}`);
  const config = JSON.parse(run.configJson);
  const baseline = run.baselineId !== null ? store.getCandidate(run.baselineId) : undefined;
  const { spend, ...head } = headline(store, run);
  const championRows = store.queries.champions(runId).map(({ id }) => store.getCandidate(id)!);
  const reported = championGains(store, config, baseline, championRows);
  return {
    ...head,
    goal: config.objective?.goal ?? 'maximize',
    accept: { rule: config.accept?.rule ?? 'significant', naive: config.accept?.rule === 'better' },
    noise: baseline?.verdict?.kind === 'baseline' ? baseline.verdict.noise : null,
    noiseModel: (baseline?.verdict?.kind === 'baseline' && baseline.verdict.noiseModel) || null,
    champions: championRows.map((c) => {
      const decided = c.verdict?.kind === 'decided' ? c.verdict : undefined;
      const holdout = c.verdict?.holdout;
      return {
        id: c.id,
        score: c.score,
        gain: decided?.gain ?? null,
        ci: decided?.ci ?? null,
        pValue: decided?.pValue ?? null,
        holdout: holdout && 'score' in holdout ? holdout.score : null,
        flags: c.flags,
        reported: reported.get(c.id) ?? null,
      };
    }),
    integrity: {
      tampered: store.listCandidates(runId, { status: ['tampered'] }).map((c) => c.id),
      holdoutAlarms: store.queries.idsWithFlag(runId, 'holdout-alarm'),
      suspicious: store.queries.idsWithFlag(runId, 'suspicious:'),
    },
    spend,
  };
}

/**
 * The run's best champion's gain over the baseline as `status`, the report and the dashboard
 * show it (store/reported-gain.ts): null while the baseline is the best. Reads only the
 * champions' rows and samples, cheap enough for the dashboard's header.
 */
export function bestReportedGain(store: Store, run: RunRecord): ReportedGain | null {
  if (run.championId === null || run.championId === run.baselineId) return null;
  const baseline = run.baselineId !== null ? store.getCandidate(run.baselineId) : undefined;
  const rows = store.queries.champions(run.id).map(({ id }) => store.getCandidate(id)!);
  return championGains(store, JSON.parse(run.configJson), baseline, rows).get(run.championId) ?? null;
}

/** Each champion's gain as store/reported-gain.ts reports it: from its re-measurements, or its selection gain shrunk. */
function championGains(
  store: Store,
  config: Parameters<typeof sampleScoring>[0],
  baseline: CandidateRecord | undefined,
  rows: CandidateRecord[],
): Map<number, ReportedGain> {
  if (!baseline || !config.objective) return new Map();
  const scoring = sampleScoring(config);
  const of = (c: CandidateRecord) => ({ id: c.id, verdict: c.verdict, samples: store.objectiveSamples(c.id, scoring) });
  const base = of(baseline);
  if (base.samples.length === 0) return new Map();
  return reportedGains(base, rows.filter((c) => c.id !== baseline.id).map(of), config.objective.goal);
}

/** A run's status as a user should read it: a 'running' run whose process is gone was killed (kill -9, power loss). */
export function liveStatus(run: RunRecord): { status: RunRecord['status']; stopReason: string | null } {
  if (run.status !== 'running' || ownerAlive(run)) return { status: run.status, stopReason: run.stopReason };
  return { status: 'interrupted', stopReason: 'the evoloop process is gone (killed?); `evoloop run` resumes the run' };
}

/**
 * Time spent running, over all sessions. The heartbeat stores it with every beat, so a
 * live run adds only the time since its last beat, and a killed one keeps what it had.
 */
export function liveElapsedMs(run: RunRecord, now = Date.now()): number {
  return run.status === 'running' && ownerAlive(run) ? run.elapsedMs + Math.max(0, now - (run.heartbeatAt ?? now)) : run.elapsedMs;
}

/** How long a run may go without a heartbeat before its process is taken for dead. */
const STALE_MS = 15_000;

/** Whether the process that owns a 'running' run is still there and still beating. */
export function ownerAlive(run: RunRecord): boolean {
  if (!run.ownerPid || Date.now() - (run.heartbeatAt ?? 0) > STALE_MS) return false;
  return processAlive(run.ownerPid);
}
