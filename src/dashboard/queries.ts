// What the dashboard asks the store. Everything is paged, filtered and sorted in SQL (or
// sent as compact columns) so a run with 100,000 candidates answers in milliseconds.
import path from 'node:path';
import { createTwoFilesPatch } from 'diff';
import type { RunRecord, Store } from '../store/store.js';
import { git } from '../workspace/git.js';
import type { CandidateRow, LineageNode, Progress } from './api.js';
import { liveElapsedMs, liveStatus } from '../store/summary.js';

export type { CandidateRow, LineageNode, Progress } from './api.js';

type Row = Record<string, unknown>;

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
/** The page header's figures: store/summary.ts's headline without its per-champion and integrity scans (a hot path at 100,000 candidates). */
export function headline(store: Store, run: RunRecord) {
  const byStatus = store.countByStatus(run.id);
  const total = Object.values(byStatus).reduce((s, n) => s + n, 0);
  const scoreOf = (id: number | null) => (id === null ? null : (store.db.prepare('SELECT score FROM candidates WHERE id = ?').pluck().get(id) as number | null));
  const stopRequestedAt = store.db.prepare('SELECT stop_requested_at FROM runs WHERE id = ?').pluck().get(run.id) as number | null;
  return {
    run: run.id,
    ...liveStatus(run),
    baseCommit: run.baseCommit,
    createdAt: run.createdAt,
    candidates: Math.max(0, total - (run.baselineId !== null ? 1 : 0)),
    accepted: byStatus.accepted ?? 0,
    byStatus,
    baseline: scoreOf(run.baselineId),
    best: scoreOf(run.championId),
    bestCandidate: run.championId,
    elapsedMs: liveElapsedMs(run),
    spend: store.spend(run.id),
    config: runView(run),
    stopRequested: run.status === 'running' && stopRequestedAt !== null && stopRequestedAt >= sessionStart(store, run),
    lastEventId: store.db.prepare('SELECT COALESCE(MAX(id), 0) FROM events WHERE run_id = ?').pluck().get(run.id) as number,
  };
}

function sessionStart(store: Store, run: RunRecord): number {
  const ts = store.db.prepare("SELECT ts FROM events WHERE run_id = ? AND type = 'run-start' ORDER BY id DESC LIMIT 1").pluck().get(run.id) as number | undefined;
  return ts ?? run.createdAt;
}

// ── candidate table ──────────────────────────────────────────────────────────
export const SORT_KEYS = { id: 'id', score: 'score', status: 'status', operator: 'operator', model: 'model', finished: 'finished_at', usd: 'usd', eval: 'eval_ms' } as const;
export type SortKey = keyof typeof SORT_KEYS;

export interface CandidateQuery {
  status?: string[];
  operator?: string;
  model?: string;
  island?: number;
  /** Substring of the description or reason. */
  q?: string;
  sort?: SortKey;
  dir?: 'asc' | 'desc';
  offset?: number;
  limit?: number;
}


export const MAX_PAGE = 500;

export function queryCandidates(store: Store, runId: string, q: CandidateQuery): { total: number; rows: CandidateRow[] } {
  const where = ['run_id = ?'];
  const args: unknown[] = [runId];
  if (q.status?.length) {
    where.push(`status IN (${q.status.map(() => '?').join(', ')})`);
    args.push(...q.status);
  }
  if (q.operator) where.push('operator = ?'), args.push(q.operator);
  if (q.model) where.push('model = ?'), args.push(q.model);
  if (q.island !== undefined) where.push('island = ?'), args.push(q.island);
  if (q.q) where.push("(description LIKE ? ESCAPE '\\' OR reason LIKE ? ESCAPE '\\')"), args.push(...Array(2).fill(`%${q.q.replace(/[\\%_]/g, '\\$&')}%`));
  const col = SORT_KEYS[q.sort ?? 'id'] ?? 'id';
  const dir = q.dir === 'asc' ? 'ASC' : 'DESC';
  // Empty values (a failed candidate's score) sort last either way; id alone walks the index.
  const order = col === 'id' ? `id ${dir}` : `${col} IS NULL, ${col} ${dir}, id ${dir}`;
  const limit = Math.min(Math.max(1, q.limit ?? 50), MAX_PAGE);
  const sqlWhere = where.join(' AND ');
  const total = store.db.prepare(`SELECT COUNT(*) FROM candidates WHERE ${sqlWhere}`).pluck().get(...(args as never[])) as number;
  const rows = store.db
    .prepare(
      `SELECT id, parent_id, status, operator, model, island, score, substr(description, 1, 240) AS description, substr(reason, 1, 240) AS reason,
         flags_json, tokens_in + tokens_out AS tokens, usd, finished_at, eval_ms
       FROM candidates WHERE ${sqlWhere} ORDER BY ${order} LIMIT ? OFFSET ?`,
    )
    .all(...(args as never[]), limit, Math.max(0, q.offset ?? 0)) as Row[];
  return {
    total,
    rows: rows.map((r) => ({
      id: r.id as number,
      parentId: r.parent_id as number | null,
      status: r.status as string,
      operator: r.operator as string,
      model: r.model as string | null,
      island: r.island as number | null,
      score: r.score as number | null,
      description: r.description as string,
      reason: r.reason as string | null,
      flags: JSON.parse(r.flags_json as string),
      tokens: r.tokens as number,
      usd: r.usd as number,
      finishedAt: r.finished_at as number | null,
      evalMs: r.eval_ms as number | null,
    })),
  };
}

/** The values the table's filters offer. */
export function facets(store: Store, runId: string): { statuses: Record<string, number>; operators: string[]; models: string[]; islands: number[] } {
  // One pass over a covering index (candidates_run_facets) instead of three scans.
  const combos = store.db.prepare('SELECT DISTINCT operator, model, island FROM candidates WHERE run_id = ?').raw().all(runId) as [string, string | null, number | null][];
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
  // Every evaluated candidate has finished_at; this reads only the covering index candidates_run_progress.
  const rows = store.db
    .prepare(
      `SELECT id, finished_at, score, status FROM candidates
       WHERE run_id = ? AND finished_at IS NOT NULL AND status IN ('baseline', 'accepted', 'rejected', 'failed', 'tampered') ORDER BY finished_at, id`,
    )
    .raw()
    .all(run.id) as [number, number, number | null, string][];
  const points = { id: new Array<number>(rows.length), t: new Array<number>(rows.length), score: new Array<number | null>(rows.length), kind: new Array<number>(rows.length) };
  rows.forEach(([id, t, score, status], i) => {
    points.id[i] = id;
    points.t[i] = t - run.createdAt;
    points.score[i] = score;
    points.kind[i] = KIND_OF[status];
  });
  const champions = (
    store.db
      .prepare(
        `SELECT id, finished_at - ? AS t, score, verdict_json FROM candidates
         WHERE run_id = ? AND status IN ('baseline', 'accepted') AND score IS NOT NULL AND finished_at IS NOT NULL ORDER BY t, id`,
      )
      .all(run.createdAt, run.id) as Row[]
  ).map((r) => {
    const samples = ((r.verdict_json ? JSON.parse(r.verdict_json as string).samples : null) as number[] | null) ?? [r.score as number];
    return { id: r.id as number, t: r.t as number, score: r.score as number, lo: Math.min(...samples), hi: Math.max(...samples) };
  });
  const baseline = run.baselineId !== null ? (store.getCandidate(run.baselineId)?.score ?? null) : null;
  return { goal: view.goal, start: run.createdAt, baseline, target: view.target, points, champions };
}

// ── spend ────────────────────────────────────────────────────────────────────
export interface SpendGroup {
  key: string;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  usd: number;
}

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
  const calls = store.db
    .prepare('SELECT created_at, input_tokens + output_tokens, usd FROM llm_calls WHERE run_id = ? ORDER BY id')
    .raw()
    .all(runId) as [number, number, number][];
  const series = { t: [] as number[], tokens: [] as number[], usd: [] as number[] };
  const stride = Math.max(1, Math.ceil(calls.length / SERIES_POINTS));
  let tokens = 0;
  let usd = 0;
  calls.forEach(([t, tok, u], i) => {
    tokens += tok;
    usd += u;
    if (i % stride === 0 || i === calls.length - 1) series.t.push(t), series.tokens.push(tokens), series.usd.push(usd);
  });
  const group = (col: string) =>
    store.db
      .prepare(
        `SELECT COALESCE(${col}, '—') AS key, COUNT(*) AS calls, SUM(input_tokens) AS inputTokens, SUM(output_tokens) AS outputTokens, SUM(usd) AS usd
         FROM llm_calls WHERE run_id = ? GROUP BY ${col} ORDER BY usd DESC`,
      )
      .all(runId) as SpendGroup[];
  const outcomes = new Map(
    (
      store.db
        .prepare(
          `SELECT operator, COUNT(*) AS candidates, SUM(status = 'accepted') AS accepted FROM candidates
           WHERE run_id = ? AND operator != 'baseline' GROUP BY operator`,
        )
        .all(runId) as { operator: string; candidates: number; accepted: number }[]
    ).map((r) => [r.operator, r]),
  );
  const byOp = new Map(group('operator').map((g) => [g.key, g]));
  const byOperator = [...new Set([...outcomes.keys(), ...byOp.keys()])].map((key) => ({
    ...(byOp.get(key) ?? { key, calls: 0, inputTokens: 0, outputTokens: 0, usd: 0 }),
    candidates: outcomes.get(key)?.candidates ?? 0,
    accepted: outcomes.get(key)?.accepted ?? 0,
  }));
  const accepted = [...outcomes.values()].reduce((s, r) => s + r.accepted, 0);
  return { series, byModel: group('model'), byOperator, totalUsd: usd, accepted, usdPerAccepted: accepted > 0 ? usd / accepted : null };
}

// ── lineage ──────────────────────────────────────────────────────────────────

/**
 * The candidate tree. Every candidate with children, every accepted one and the champion's
 * path are kept; of the other children of a node only the best `perParent` are, so a
 * greedy run of 100,000 candidates stays a tree one can look at.
 */
export function lineage(store: Store, run: RunRecord, perParent = 12): { nodes: LineageNode[]; championPath: number[]; total: number } {
  const goal = runView(run).goal;
  const rows = store.db
    .prepare('SELECT id, parent_id, status, score, operator FROM candidates WHERE run_id = ? ORDER BY id')
    .raw()
    .all(run.id) as [number, number | null, string, number | null, string][];
  const byId = new Map<number, LineageNode>();
  const children = new Map<number | null, LineageNode[]>();
  for (const [id, parentId, status, score, operator] of rows) {
    const node = { id, parentId, status, score, operator, hidden: 0 };
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
  const calls = store.db
    .prepare(
      `SELECT provider, model, operator, prompt, response, input_tokens AS inputTokens, output_tokens AS outputTokens, cached_tokens AS cachedTokens,
         usd, latency_ms AS latencyMs, attempts, error, created_at AS createdAt FROM llm_calls WHERE candidate_id = ? ORDER BY id`,
    )
    .all(id);
  return {
    ...rest,
    files: Object.keys(files),
    parent: parent ? { id: parent.id, status: parent.status, score: parent.score } : null,
    measurements: store.measurements(id),
    llmCalls: calls,
    baseDiff: await diffAgainstBase(store, run, files),
  };
}

/** The candidate's whole change against the run's base commit: its file overlay vs the base content in git. */
export async function diffAgainstBase(store: Store, run: RunRecord, files: Record<string, string>): Promise<{ patch: string } | { error: string }> {
  const prefix = path.relative(run.repoRoot, run.problemDir).split(path.sep).filter(Boolean).join('/');
  const parts: string[] = [];
  for (const [file, hash] of Object.entries(files)) {
    const repoPath = prefix ? `${prefix}/${file}` : file;
    const shown = await git(run.repoRoot, ['show', `${run.baseCommit}:${repoPath}`], { allowFail: true }).catch((err: Error) => ({ code: -1, stdout: '', stderr: err.message }));
    if (shown.code !== 0 && !/does not exist|exists on disk, but not in/.test(shown.stderr)) {
      return { error: `the base content is not available from ${run.repoRoot} (${shown.stderr.trim().split('\n')[0]})` };
    }
    const before = shown.code === 0 ? shown.stdout : undefined;
    const patch = createTwoFilesPatch(before === undefined ? '/dev/null' : `a/${file}`, `b/${file}`, before ?? '', store.getBlob(hash), undefined, undefined, { context: 3 });
    parts.push(patch.split('\n').slice(1).join('\n'));
  }
  return { patch: parts.join('') };
}

// ── islands ──────────────────────────────────────────────────────────────────
/** Per island: candidates, accepted and best score. Empty when the run does not use islands. */
export function islands(store: Store, run: RunRecord): { island: number; candidates: number; accepted: number; best: number | null }[] {
  const best = runView(run).goal === 'maximize' ? 'MAX' : 'MIN';
  return store.db
    .prepare(
      `SELECT island, COUNT(*) AS candidates, SUM(status = 'accepted') AS accepted, ${best}(CASE WHEN status IN ('accepted', 'rejected', 'baseline') THEN score END) AS best
       FROM candidates WHERE run_id = ? AND island IS NOT NULL GROUP BY island ORDER BY island`,
    )
    .all(run.id) as { island: number; candidates: number; accepted: number; best: number | null }[];
}
