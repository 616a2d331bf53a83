// The honest baseline beside a population run: when the store (one problem) also holds a
// best-of-n run with the same objective — every proposal made from the base, same acceptance
// and recording — the report shows the two side by side: best value, best after the same number
// of candidates, candidates, cost, time, and both best-so-far curves over candidates proposed.
// ("Simple Baselines are Competitive with Code Evolution": a user must see whether evolution beat it.)
import { runView } from '../dashboard/queries.js';
import type { RunRecord, Store } from '../store/store.js';
import { strategyOf } from '../store/island-summary.js';
import { headline } from '../store/summary.js';

export const BASELINE_STRATEGY = 'best-of-n';

export interface RunFigures {
  run: string;
  strategy: string;
  baseCommit: string;
  baseline: number | null;
  best: number | null;
  bestCandidate: number | null;
  /** Proposals (the baseline and migrated copies not counted). */
  candidates: number;
  evaluated: number;
  accepted: number;
  usd: number;
  calls: number;
  elapsedMs: number;
  /** Best-so-far: each champion's score after the proposal that made it (x = proposals so far; 0 = the baseline). */
  curve: { x: number; score: number }[];
}

export interface Comparison {
  goal: 'maximize' | 'minimize';
  objective: string;
  /** The population run first, the best-of-n run second. */
  runs: [RunFigures, RunFigures];
  /** The smaller of the two candidate counts: both runs' best after this many proposals. */
  at: number;
  bestAt: [number | null, number | null];
  notes: string[];
}

/** The run to set beside `run`: the latest best-of-n run (or, for a best-of-n run, the latest other one) with the same objective. */
export function companionRun(store: Store, run: RunRecord): RunRecord | undefined {
  const view = runView(run);
  const isBaseline = strategyOf(run) === BASELINE_STRATEGY;
  const candidates = store
    .listRuns()
    .filter((r) => r.id !== run.id && (strategyOf(r) === BASELINE_STRATEGY) !== isBaseline)
    .filter((r) => runView(r).objective === view.objective && runView(r).goal === view.goal)
    .reverse();
  return candidates.find((r) => r.baseCommit === run.baseCommit) ?? candidates[0];
}

export function comparison(store: Store, run: RunRecord): Comparison | null {
  const other = companionRun(store, run);
  if (!other) return null;
  const [population, bestOfN] = strategyOf(run) === BASELINE_STRATEGY ? [other, run] : [run, other];
  const view = runView(run);
  const runs: [RunFigures, RunFigures] = [figures(store, population), figures(store, bestOfN)];
  const at = Math.min(runs[0].candidates, runs[1].candidates);
  const bestAt = runs.map((r) => r.curve.filter((p) => p.x <= at).at(-1)?.score ?? null) as [number | null, number | null];
  const notes: string[] = [];
  if (population.baseCommit !== bestOfN.baseCommit)
    notes.push(`The runs start from different base commits (${population.baseCommit.slice(0, 12)}, ${bestOfN.baseCommit.slice(0, 12)}): compare with care.`);
  if (bestAt[0] !== null && bestAt[1] !== null) {
    const ahead = view.goal === 'maximize' ? bestAt[0] - bestAt[1] : bestAt[1] - bestAt[0];
    const who = ahead > 0 ? `${runs[0].strategy} is ahead of best-of-n` : ahead < 0 ? `best-of-n is ahead of ${runs[0].strategy}` : 'both runs are level';
    notes.push(`After ${at} candidates each, ${who}: ${fmt(bestAt[0])} vs ${fmt(bestAt[1])}.`);
  }
  return { goal: view.goal, objective: view.objective, runs, at, bestAt, notes };
}

function figures(store: Store, run: RunRecord): RunFigures {
  const h = headline(store, run);
  const proposed = store.queries.proposedIds(run.id);
  // x of a champion = proposals up to and including it (ids ascend with proposals).
  const upTo = (id: number) => {
    let lo = 0;
    let hi = proposed.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (proposed[mid] <= id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const evaluated = ['accepted', 'rejected', 'failed', 'tampered'].reduce((s, k) => s + (h.byStatus[k] ?? 0), 0);
  return {
    run: run.id,
    strategy: strategyOf(run),
    baseCommit: run.baseCommit,
    baseline: h.baseline,
    best: h.best,
    bestCandidate: h.bestCandidate,
    candidates: proposed.length,
    evaluated,
    accepted: h.accepted,
    usd: h.spend.usd,
    calls: h.spend.calls,
    elapsedMs: h.elapsedMs,
    curve: store.queries.champions(run.id).map((c) => ({ x: c.id === run.baselineId ? 0 : upTo(c.id), score: c.score })),
  };
}

function fmt(v: number): string {
  return String(Number(v.toPrecision(6)));
}
