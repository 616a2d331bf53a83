// What the dashboard shows of a run, shaped for its JSON API from the store's read models
// (store/queries.ts: paged, filtered and sorted in SQL, or compact columns), so a run with
// 100,000 candidates answers in milliseconds.
import { SORT_COLUMNS, type CallGroup, type CandidateFilter } from '../store/queries.js';
import { sampleScoring } from '../store/samples.js';
import { ISLAND_DEFAULTS } from '../population/islands/settings.js';
import { islandSummaries, type IslandSummary } from '../store/island-summary.js';
import type { RunRecord, Store, WorkerRecord } from '../store/store.js';
import { bestReportedGain, headline as runHeadline } from '../store/summary.js';
import { diffAgainstBase } from '../workspace/diff.js';
import type { CandidateRow, LineageNode, Progress } from './api.js';

export type { CandidateRow, LineageNode, Progress } from './api.js';
export type { SortKey } from '../store/queries.js';

/** The parts of a run's config the page shows. A whitelist, so no future secret-bearing key leaks. */
export interface RunView {
  goal: 'maximize' | 'minimize';
  objective: string;
  target: number | null;
  stages: { name: string; kind: string; repeat: number }[];
  accept: { rule: string; alpha: number; minDelta: number };
  budget: Record<string, number>;
  models: string[];
}

export function runView(run: RunRecord): RunView {
  const c = JSON.parse(run.configJson) as Record<string, any>;
  const models = [c.model, ...(c.models ?? [])].filter(Boolean).map((m: { provider: string; name: string }) => `${m.provider}:${m.name}`);
  return {
    goal: c.objective?.goal === 'minimize' ? 'minimize' : 'maximize',
    objective: c.objective?.metric ?? c.objective?.expr ?? '',
    target: typeof c.budget?.target === 'number' ? c.budget.target : null,
    stages: (c.verifier?.stages ?? []).map((s: { name: string; kind: string; repeat: number }) => ({ name: s.name, kind: s.kind, repeat: s.repeat })),
    accept: { rule: c.accept?.rule, alpha: c.accept?.alpha, minDelta: c.accept?.min_delta },
    budget: Object.fromEntries(Object.entries(c.budget ?? {}).filter(([, v]) => typeof v === 'number')) as Record<string, number>,
    models,
  };
}

// ── headline ─────────────────────────────────────────────────────────────────
/** The page header: the run's headline (store/summary.ts, without its integrity scans: a hot path), the best champion's reported gain, and what the page needs besides. */
export function headline(store: Store, run: RunRecord) {
  const stopRequestedAt = store.queries.stopRequestedAt(run.id);
  const sessionStart = store.queries.lastEventAt(run.id, 'run-start') ?? run.createdAt;
  return {
    ...runHeadline(store, run),
    reportedGain: bestReportedGain(store, run),
    createdAt: run.createdAt,
    config: runView(run),
    stopRequested: run.status === 'running' && stopRequestedAt !== null && stopRequestedAt >= sessionStart,
    lastEventId: store.queries.lastEventId(run.id),
  };
}

// ── candidate table ──────────────────────────────────────────────────────────
export const SORT_KEYS = SORT_COLUMNS;

/** A table request as the API takes it: the store's filter, paging optional. */
export type CandidateQuery = Partial<CandidateFilter>;

export const MAX_PAGE = 500;

export function queryCandidates(store: Store, runId: string, q: CandidateQuery): { total: number; rows: CandidateRow[] } {
  const limit = Math.min(Math.max(1, q.limit ?? 50), MAX_PAGE);
  return store.queries.candidatePage(runId, { ...q, limit, offset: Math.max(0, q.offset ?? 0) });
}

/** The values the table's filters offer. */
export function facets(store: Store, runId: string): { statuses: Record<string, number>; operators: string[]; models: string[]; islands: number[] } {
  const combos = store.queries.facetCombos(runId);
  const values = <T>(i: number) => [...new Set(combos.map((c) => c[i] as T).filter((v) => v !== null))].sort() as T[];
  return {
    statuses: store.countByStatus(runId),
    operators: values<string>(0),
    models: values<string>(1),
    islands: values<number>(2).sort((a, b) => a - b),
  };
}

// ── progress ─────────────────────────────────────────────────────────────────
/** Mark classes on the progress chart. */
const KIND_OF: Record<string, number> = { baseline: 0, accepted: 1, rejected: 2, failed: 3, tampered: 3 };

export function progress(store: Store, run: RunRecord): Progress {
  const view = runView(run);
  const rows = store.queries.finishedCandidates(run.id);
  const points = {
    id: new Array<number>(rows.length),
    t: new Array<number>(rows.length),
    score: new Array<number | null>(rows.length),
    kind: new Array<number>(rows.length),
  };
  rows.forEach(([id, t, score, status], i) => {
    points.id[i] = id;
    points.t[i] = t - run.createdAt;
    points.score[i] = score;
    points.kind[i] = KIND_OF[status];
  });
  const scoring = sampleScoring(JSON.parse(run.configJson));
  const champions = store.queries.champions(run.id).map((c) => {
    const measured = store.objectiveSamples(c.id, scoring);
    const samples = measured.length > 0 ? measured : [c.score];
    return { id: c.id, t: c.finishedAt - run.createdAt, score: c.score, lo: Math.min(...samples), hi: Math.max(...samples) };
  });
  const baseline = run.baselineId !== null ? store.queries.score(run.baselineId) : null;
  return { goal: view.goal, start: run.createdAt, baseline, target: view.target, points, champions };
}

// ── spend ────────────────────────────────────────────────────────────────────
export type SpendGroup = CallGroup;

export interface Spend {
  /** Cumulative tokens and dollars over time, at most ~1000 points. */
  series: { t: number[]; tokens: number[]; usd: number[] };
  byModel: SpendGroup[];
  byOperator: (SpendGroup & { candidates: number; accepted: number })[];
  totalUsd: number;
  accepted: number;
  usdPerAccepted: number | null;
}

const SERIES_POINTS = 1000;

export function spend(store: Store, runId: string): Spend {
  const calls = store.queries.callSeries(runId);
  const series = { t: [] as number[], tokens: [] as number[], usd: [] as number[] };
  const stride = Math.max(1, Math.ceil(calls.length / SERIES_POINTS));
  let tokens = 0;
  let usd = 0;
  calls.forEach(([t, tok, u], i) => {
    tokens += tok;
    usd += u;
    if (i % stride === 0 || i === calls.length - 1) (series.t.push(t), series.tokens.push(tokens), series.usd.push(usd));
  });
  const outcomes = new Map(store.queries.operatorOutcomes(runId).map((r) => [r.operator, r]));
  const byOp = new Map(store.queries.callsBy(runId, 'operator').map((g) => [g.key, g]));
  const byOperator = [...new Set([...outcomes.keys(), ...byOp.keys()])].map((key) => ({
    ...(byOp.get(key) ?? { key, calls: 0, inputTokens: 0, outputTokens: 0, usd: 0 }),
    candidates: outcomes.get(key)?.candidates ?? 0,
    accepted: outcomes.get(key)?.accepted ?? 0,
  }));
  const accepted = [...outcomes.values()].reduce((s, r) => s + r.accepted, 0);
  return { series, byModel: store.queries.callsBy(runId, 'model'), byOperator, totalUsd: usd, accepted, usdPerAccepted: accepted > 0 ? usd / accepted : null };
}

// ── lineage ──────────────────────────────────────────────────────────────────

/**
 * The candidate tree. Every candidate with children, every accepted one and the champion's
 * path are kept; of the other children of a node only the best `perParent` are, so a
 * greedy run of 100,000 candidates stays a tree one can look at.
 */
export function lineage(store: Store, run: RunRecord, perParent = 12): { nodes: LineageNode[]; championPath: number[]; total: number } {
  const goal = runView(run).goal;
  const rows = store.queries.tree(run.id);
  const byId = new Map<number, LineageNode>();
  const children = new Map<number | null, LineageNode[]>();
  for (const [id, parentId, status, score, operator, parents] of rows) {
    const node = { id, parentId, parents: JSON.parse(parents) as number[], status, score, operator, hidden: 0 };
    byId.set(id, node);
  }
  for (const node of byId.values()) {
    const parent = node.parentId !== null && byId.has(node.parentId) ? node.parentId : null;
    node.parentId = parent;
    (children.get(parent) ?? children.set(parent, []).get(parent)!).push(node);
  }
  const championPath: number[] = [];
  for (let id = run.championId; id !== null && byId.has(id); id = byId.get(id)!.parentId) championPath.push(id);
  const onPath = new Set(championPath);
  const better = (a: number | null, b: number | null) => (a === null ? 1 : b === null ? -1 : goal === 'maximize' ? b - a : a - b);
  const nodes: LineageNode[] = [];
  const visit = (node: LineageNode) => {
    nodes.push(node);
    const kids = children.get(node.id) ?? [];
    const must = kids.filter((k) => onPath.has(k.id) || k.status === 'accepted' || children.has(k.id));
    const rest = kids.filter((k) => !must.includes(k)).sort((a, b) => better(a.score, b.score) || a.id - b.id);
    const shown = [...must, ...rest.slice(0, Math.max(0, perParent - must.length))];
    node.hidden = kids.length - shown.length;
    for (const k of shown.sort((a, b) => a.id - b.id)) visit(k);
  };
  for (const root of children.get(null) ?? []) visit(root);
  return { nodes, championPath: championPath.reverse(), total: rows.length };
}

// ── one candidate ────────────────────────────────────────────────────────────
export async function candidateDetail(store: Store, run: RunRecord, id: number) {
  const c = store.getCandidate(id);
  if (!c || c.runId !== run.id) return undefined;
  const { files, ...rest } = c;
  const parent = c.parentId !== null ? store.getCandidate(c.parentId) : undefined;
  const calls = store.queries.callsOf(id);
  return {
    ...rest,
    files: Object.keys(files),
    parent: parent ? { id: parent.id, status: parent.status, score: parent.score } : null,
    measurements: store.measurements(id),
    llmCalls: calls,
    baseDiff: await diffAgainstBase(run, store.candidateFiles(c)),
  };
}

// ── islands ──────────────────────────────────────────────────────────────────
/** Per island: its summary and its archive's cells, with the grid's shape (bins per feature; [K] for a best-K archive). Empty unless the run uses islands. */
export function islands(store: Store, run: RunRecord): (IslandSummary & { shape: number[] })[] {
  const search = (JSON.parse(run.configJson) as { search?: { features?: { bins: number }[]; elites?: number } }).search ?? {};
  const shape = search.features?.length ? search.features.map((f) => f.bins) : [search.elites ?? ISLAND_DEFAULTS.elites];
  return islandSummaries(store, run).map((i) => ({ ...i, shape }));
}

// ── workers ──────────────────────────────────────────────────────────────────
/** Remote workers and the queue's depth as the coordinator last saw them; queue null for a run measured only locally. */
export function workers(store: Store, runId: string): { workers: WorkerRecord[]; queue: { waiting: number; active: number; updatedAt: number } | null } {
  return { workers: store.fleet.workers(runId), queue: store.fleet.queueDepth(runId) ?? null };
}
