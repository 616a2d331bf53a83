// The headline of a run, as `status`, the library and the report show it.
import type { RunRecord, Store } from './store.js';

export interface RunSummary {
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

export function summarize(store: Store, runId: string): RunSummary {
  const run = store.getRun(runId);
  if (!run) throw new Error(`no run ${runId} in ${store.file}`);
  const byStatus = store.countByStatus(runId);
  const total = Object.values(byStatus).reduce((s, n) => s + n, 0);
  const baseline = run.baselineId !== null ? store.getCandidate(run.baselineId) : undefined;
  const best = run.championId !== null ? store.getCandidate(run.championId) : undefined;
  const elapsedMs = run.status === 'running' && run.heartbeatAt ? run.elapsedMs + (Date.now() - run.updatedAt) : run.elapsedMs;
  return {
    run: run.id,
    status: run.status,
    stopReason: run.stopReason,
    baseCommit: run.baseCommit,
    candidates: Math.max(0, total - (baseline ? 1 : 0)),
    accepted: byStatus.accepted ?? 0,
    byStatus,
    baseline: baseline?.score ?? null,
    best: best?.score ?? null,
    bestCandidate: best?.id ?? null,
    elapsedMs,
    spend: store.spend(runId),
  };
}
