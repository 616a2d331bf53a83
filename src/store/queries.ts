// Read models: the questions the dashboard, the report, `status`, `export` and `reverify`
// ask of a run, each answered by one query (paged, filtered and sorted in SQL, or read as
// compact rows from a covering index) so a run of 100,000 candidates answers in milliseconds.
// Only the store speaks SQL; this is its read side, reached as `store.queries`.
import type Database from 'better-sqlite3';
import type { CandidateStatus } from '../core/types.js';
import type { CandidateRow } from '../dashboard/api.js';

type Row = Record<string, unknown>;

export const SORT_COLUMNS = {
  id: 'id',
  score: 'score',
  status: 'status',
  operator: 'operator',
  model: 'model',
  finished: 'finished_at',
  usd: 'usd',
  eval: 'eval_ms',
} as const;
export type SortKey = keyof typeof SORT_COLUMNS;

export interface CandidateFilter {
  status?: string[];
  operator?: string;
  model?: string;
  island?: number;
  /** Substring of the description or reason. */
  q?: string;
  sort?: SortKey;
  dir?: 'asc' | 'desc';
  offset: number;
  limit: number;
}

/** A kept candidate as the prompt's "best so far" lists it (see queries.bestKept). */
export interface KeptRow {
  id: number;
  score: number;
  operator: string;
  description: string;
}

/** A candidate as a lesson tells it (see queries.lessonRows). */
export interface LessonRow {
  id: number;
  operator: string;
  description: string;
  status: CandidateStatus;
  reason: string | null;
  score: number | null;
  parentScore: number | null;
}

export interface CallGroup {
  key: string;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  usd: number;
}

export const EXPORT_TABLES = ['candidates', 'measurements', 'events', 'llm_calls'] as const;
export type ExportTable = (typeof EXPORT_TABLES)[number];

export class RunQueries {
  /** Compiled once: the prompt's reads run on every proposal. */
  private readonly prepared = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  private sql(text: string): Database.Statement {
    let stmt = this.prepared.get(text);
    if (!stmt) this.prepared.set(text, (stmt = this.db.prepare(text)));
    return stmt;
  }

  score(candidateId: number): number | null {
    return (this.sql('SELECT score FROM candidates WHERE id = ?').pluck().get(candidateId) as number | null | undefined) ?? null;
  }

  /** Candidates that spend budget.candidates: all but the baseline and a strategy's migrant copies. */
  proposedCount(runId: string): number {
    return this.sql("SELECT COUNT(*) FROM candidates WHERE run_id = ? AND operator NOT IN ('baseline', 'migrate')").pluck().get(runId) as number;
  }

  /** Candidates decided so far (neither the baseline nor pending), of one island when `island` is a number. */
  decidedCount(runId: string, island: number | null): number {
    return this.sql(
      `SELECT COUNT(*) FROM candidates WHERE run_id = @run AND status NOT IN ('baseline', 'pending') ${island === null ? '' : 'AND island = @island'}`,
    )
      .pluck()
      .get({ run: runId, ...(island === null ? {} : { island }) }) as number;
  }

  /** Ids of the run's proposals (what proposedCount counts), ascending. */
  proposedIds(runId: string): number[] {
    return this.sql("SELECT id FROM candidates WHERE run_id = ? AND operator NOT IN ('baseline', 'migrate') ORDER BY id").pluck().all(runId) as number[];
  }

  stopRequestedAt(runId: string): number | null {
    return (this.sql('SELECT stop_requested_at FROM runs WHERE id = ?').pluck().get(runId) as number | null | undefined) ?? null;
  }

  lastEventId(runId: string): number {
    return this.sql('SELECT COALESCE(MAX(id), 0) FROM events WHERE run_id = ?').pluck().get(runId) as number;
  }

  /** When the newest event of this type was recorded, if any. */
  lastEventAt(runId: string, type: string): number | undefined {
    return this.sql('SELECT ts FROM events WHERE run_id = ? AND type = ? ORDER BY id DESC LIMIT 1').pluck().get(runId, type) as number | undefined;
  }

  /** One page of the candidate table. Empty values (a failed candidate's score) sort last either way. */
  candidatePage(runId: string, f: CandidateFilter): { total: number; rows: CandidateRow[] } {
    const where = ['run_id = ?'];
    const args: unknown[] = [runId];
    if (f.status?.length) {
      where.push(`status IN (${f.status.map(() => '?').join(', ')})`);
      args.push(...f.status);
    }
    if (f.operator) (where.push('operator = ?'), args.push(f.operator));
    if (f.model) (where.push('model = ?'), args.push(f.model));
    if (f.island !== undefined) (where.push('island = ?'), args.push(f.island));
    if (f.q) (where.push("(description LIKE ? ESCAPE '\\' OR reason LIKE ? ESCAPE '\\')"), args.push(...Array(2).fill(`%${f.q.replace(/[\\%_]/g, '\\$&')}%`)));
    const col = SORT_COLUMNS[f.sort ?? 'id'] ?? 'id';
    const dir = f.dir === 'asc' ? 'ASC' : 'DESC';
    // id alone walks the index.
    const order = col === 'id' ? `id ${dir}` : `${col} IS NULL, ${col} ${dir}, id ${dir}`;
    const sqlWhere = where.join(' AND ');
    const total = this.sql(`SELECT COUNT(*) FROM candidates WHERE ${sqlWhere}`)
      .pluck()
      .get(...(args as never[])) as number;
    const rows = this.sql(
      `SELECT id, parent_id, status, operator, model, island, score, substr(description, 1, 240) AS description, substr(reason, 1, 240) AS reason,
           flags_json, tokens_in + tokens_out AS tokens, usd, finished_at, eval_ms
         FROM candidates WHERE ${sqlWhere} ORDER BY ${order} LIMIT ? OFFSET ?`,
    ).all(...(args as never[]), f.limit, f.offset) as Row[];
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

  /** Every distinct (operator, model, island) of a run: one pass over the covering index candidates_run_facets. */
  facetCombos(runId: string): [string, string | null, number | null][] {
    return this.sql('SELECT DISTINCT operator, model, island FROM candidates WHERE run_id = ?').raw().all(runId) as [string, string | null, number | null][];
  }

  /** Evaluated candidates in the order they finished, as [id, finishedAt, score, status]; reads only candidates_run_progress. */
  finishedCandidates(runId: string): [number, number, number | null, string][] {
    return this.sql(
      `SELECT id, finished_at, score, status FROM candidates
         WHERE run_id = ? AND finished_at IS NOT NULL AND status IN ('baseline', 'accepted', 'rejected', 'failed', 'tampered') ORDER BY finished_at, id`,
    )
      .raw()
      .all(runId) as [number, number, number | null, string][];
  }

  /**
   * The baseline and every candidate that became the run's champion, with a score, in the order they
   * finished. Under greedy and best-of-n every accepted row replaced the champion; on islands an
   * accepted row is an elite that entered its cell, and only those crowned (a `champion` event, or
   * the run's current champion: the event is written just after it) were the run's best.
   */
  champions(runId: string): { id: number; finishedAt: number; score: number }[] {
    const islands = this.sql("SELECT json_extract(config_json, '$.search.strategy') = 'islands' FROM runs WHERE id = ?").pluck().get(runId) === 1;
    const crowned = islands
      ? `AND (status = 'baseline' OR id = (SELECT champion_id FROM runs WHERE id = @run)
              OR id IN (SELECT candidate_id FROM events WHERE run_id = @run AND type = 'champion'))`
      : '';
    return this.sql(
      `SELECT id, finished_at AS finishedAt, score FROM candidates
         WHERE run_id = @run AND status IN ('baseline', 'accepted') AND score IS NOT NULL AND finished_at IS NOT NULL ${crowned} ORDER BY finished_at, id`,
    ).all({ run: runId }) as { id: number; finishedAt: number; score: number }[];
  }

  /**
   * What the lessons are made of: the run's latest `recent` attempts (the baseline excluded) and its
   * latest `notable` accepted ones, oldest first, each with its parent's score; of one island only
   * when `island` is a number. Two bounded index reads and a join, whatever the run's size.
   */
  lessonRows(runId: string, island: number | null, recent: number, notable: number): LessonRow[] {
    const onIsland = island === null ? '' : 'AND island = @island';
    return this.sql(
      `SELECT c.id, c.operator, c.description, c.status, c.reason, c.score, p.score AS parentScore
         FROM candidates c LEFT JOIN candidates p ON p.id = c.parent_id
         WHERE c.id IN (SELECT id FROM (SELECT id FROM candidates WHERE run_id = @run AND operator != 'baseline' ${onIsland} ORDER BY id DESC LIMIT @recent)
                        UNION SELECT id FROM (SELECT id FROM candidates WHERE run_id = @run AND status = 'accepted' ${onIsland} ORDER BY id DESC LIMIT @notable))
         ORDER BY c.id`,
    ).all({ run: runId, recent, notable, ...(island === null ? {} : { island }) }) as LessonRow[];
  }

  /**
   * The `limit` best-scored of the baseline and the accepted rows (on islands: elites), of one
   * island and the baseline when `island` is a number: the prompt's "best so far". An island's
   * read is two walks of the kept rows' index (its own rows, and the baseline's, which has no
   * island), a few entries each, so a prompt costs the same at 100,000 candidates.
   */
  bestKept(runId: string, goal: 'maximize' | 'minimize', island: number | null, limit: number): KeptRow[] {
    const kept = (where: string) =>
      this.sql(
        `SELECT id, score, operator, description FROM candidates
           WHERE run_id = @run AND status IN ('baseline', 'accepted') AND score IS NOT NULL ${where}
           ORDER BY score ${goal === 'maximize' ? 'DESC' : 'ASC'}, id LIMIT @limit`,
      );
    if (island === null) return kept('').all({ run: runId, limit }) as KeptRow[];
    const rows = [...kept('AND island IS NULL').all({ run: runId, limit }), ...kept('AND island = @island').all({ run: runId, limit, island })] as KeptRow[];
    const better = goal === 'maximize' ? -1 : 1;
    return rows.sort((a, b) => better * (a.score - b.score) || a.id - b.id).slice(0, limit);
  }

  /** Every model call of a run as [createdAt, tokens, usd], in order. */
  callSeries(runId: string): [number, number, number][] {
    return this.sql('SELECT created_at, input_tokens + output_tokens, usd FROM llm_calls WHERE run_id = ? ORDER BY id').raw().all(runId) as [
      number,
      number,
      number,
    ][];
  }

  /** Model calls of a run summed per model or per operator, costliest first. */
  callsBy(runId: string, by: 'model' | 'operator'): CallGroup[] {
    return this.sql(
      `SELECT COALESCE(${by}, '—') AS key, COUNT(*) AS calls, SUM(input_tokens) AS inputTokens, SUM(output_tokens) AS outputTokens, SUM(usd) AS usd
         FROM llm_calls WHERE run_id = ? GROUP BY ${by} ORDER BY usd DESC`,
    ).all(runId) as CallGroup[];
  }

  /** Per operator (the baseline left out): candidates proposed and accepted. */
  operatorOutcomes(runId: string): { operator: string; candidates: number; accepted: number }[] {
    return this.sql(
      `SELECT operator, COUNT(*) AS candidates, SUM(status = 'accepted') AS accepted FROM candidates
         WHERE run_id = ? AND operator != 'baseline' GROUP BY operator`,
    ).all(runId) as { operator: string; candidates: number; accepted: number }[];
  }

  /** Every candidate of a run as [id, parentId, status, score, operator, parents JSON], by id. */
  tree(runId: string): [number, number | null, string, number | null, string, string][] {
    return this.sql('SELECT id, parent_id, status, score, operator, parents_json FROM candidates WHERE run_id = ? ORDER BY id').raw().all(runId) as [
      number,
      number | null,
      string,
      number | null,
      string,
      string,
    ][];
  }

  /** The model calls made for one candidate, in order. */
  callsOf(candidateId: number): Row[] {
    return this.sql(
      `SELECT provider, model, operator, prompt, response, input_tokens AS inputTokens, output_tokens AS outputTokens, cached_tokens AS cachedTokens,
           usd, latency_ms AS latencyMs, attempts, error, created_at AS createdAt FROM llm_calls WHERE candidate_id = ? ORDER BY id`,
    ).all(candidateId) as Row[];
  }

  /** Per island: candidates, accepted and the best evaluated score. Empty when the run does not use islands. */
  islands(runId: string, goal: 'maximize' | 'minimize'): { island: number; candidates: number; accepted: number; best: number | null }[] {
    const best = goal === 'maximize' ? 'MAX' : 'MIN';
    return this.sql(
      `SELECT island, COUNT(*) AS candidates, SUM(status = 'accepted') AS accepted, ${best}(CASE WHEN status IN ('accepted', 'rejected', 'baseline') THEN score END) AS best
         FROM candidates WHERE run_id = ? AND island IS NOT NULL GROUP BY island ORDER BY island`,
    ).all(runId) as { island: number; candidates: number; accepted: number; best: number | null }[];
  }

  /** Ids of a run's candidates with a flag containing `flag` (e.g. 'holdout-alarm', 'suspicious:'). */
  idsWithFlag(runId: string, flag: string): number[] {
    return this.sql('SELECT id FROM candidates WHERE run_id = ? AND flags_json LIKE ? ORDER BY id').pluck().all(runId, `%${flag}%`) as number[];
  }

  /** Candidates that ended without a score (failed, invalid, tampered, duplicate), as [id, status, reason]. */
  unscored(runId: string): [number, CandidateStatus, string | null][] {
    return this.sql("SELECT id, status, reason FROM candidates WHERE run_id = ? AND status IN ('failed', 'invalid', 'tampered', 'duplicate') ORDER BY id")
      .raw()
      .all(runId) as [number, CandidateStatus, string | null][];
  }

  /** The model calls of one operator that got a reply: how many, and the newest reply (meta-lessons' scratchpad). */
  replies(runId: string, operator: string): { count: number; last: string | null } {
    const row = this.sql(
      `SELECT COUNT(*) AS count, (SELECT response FROM llm_calls WHERE run_id = ? AND operator = ? AND response IS NOT NULL ORDER BY id DESC LIMIT 1) AS last
         FROM llm_calls WHERE run_id = ? AND operator = ? AND response IS NOT NULL`,
    ).get(runId, operator, runId, operator) as { count: number; last: string | null };
    return row;
  }

  /** Models that used tokens but cost nothing: ones without a known price. */
  unpricedModels(runId: string): string[] {
    return this.sql('SELECT DISTINCT model FROM llm_calls WHERE run_id = ? AND usd = 0 AND input_tokens + output_tokens > 0').pluck().all(runId) as string[];
  }

  /** The highest-scoring evaluated candidates (accepted or rejected), best first. */
  topScored(runId: string, goal: 'maximize' | 'minimize', limit: number): number[] {
    const order = goal === 'maximize' ? 'DESC' : 'ASC';
    return this.sql(`SELECT id FROM candidates WHERE run_id = ? AND status IN ('accepted', 'rejected') AND score IS NOT NULL ORDER BY score ${order} LIMIT ?`)
      .pluck()
      .all(runId, limit) as number[];
  }

  /** The newest measurement epoch of a run (0: only the run's own). */
  lastEpoch(runId: string): number {
    return this.sql('SELECT COALESCE(MAX(m.epoch), 0) FROM measurements m JOIN candidates c ON c.id = m.candidate_id WHERE c.run_id = ?')
      .pluck()
      .get(runId) as number;
  }

  /** A run's rows of one table as stored (column names as in the schema), streamed in id order. */
  exportRows(runId: string, table: ExportTable): IterableIterator<Row> {
    const sql =
      table === 'measurements'
        ? 'SELECT m.* FROM measurements m JOIN candidates c ON c.id = m.candidate_id WHERE c.run_id = ? ORDER BY m.id'
        : `SELECT * FROM ${table} WHERE run_id = ? ORDER BY id`;
    // A statement of its own: a cached one cannot run again while this stream is open.
    return this.db.prepare(sql).iterate(runId) as IterableIterator<Row>;
  }
}
