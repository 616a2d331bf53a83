// The store: one SQLite file (WAL) per problem folder, the single source of truth
// for runs, candidates, measurements, events and model calls. Every write is a
// committed transaction by the time the call returns, so kill -9 loses nothing finished.
// Opening the file (store/connection.ts) checks it first: a damaged store is refused in
// words, never taken for a new one; a read-only one can still be read.
import { createHash } from 'node:crypto';
import path from 'node:path';
import type Database from 'better-sqlite3';
import type { CandidateStatus, FileSet, StageResult } from '../core/types.js';

export type { LlmCallRecord } from '../core/types.js';
import { databaseProblems } from './backup.js';
import { ArtifactStore } from './artifacts.js';
import { RunQueries } from './queries.js';
import { AuditRecords } from './audits.js';
import { FleetRecords } from './fleet.js';
import { NoveltySignatures } from './signatures.js';
import { LlmCalls } from './llm-calls.js';
import { SearchState } from './search-state.js';
import { objectiveSamples, type SampleScoring } from './samples.js';
import { closeSession, openSession } from './sessions.js';
import { Checkpointer } from './checkpointer.js';
import { openConnection, storeFileExists } from './connection.js';

export type { CandidateRecord, MeasurementRecord, RunRecord, RunStatus, WorkerRecord } from './records.js';
import { snake, toCandidate, toMeasurement, toRun, type Row, type CandidateRecord, type MeasurementRecord, type RunRecord } from './records.js';

export const storePath = (problemDir: string) => path.join(problemDir, '.evoloop', 'evoloop.db');

export type NewCandidate = Pick<CandidateRecord, 'runId' | 'parentId' | 'status' | 'operator' | 'description' | 'changeHash' | 'patch'> &
  Partial<Pick<CandidateRecord, 'parents' | 'reason' | 'model' | 'island' | 'tokensIn' | 'tokensOut' | 'usd' | 'flags' | 'style'>> & {
    files: FileSet;
  };

/** A candidate as a resumed run replays it (store.outcomes). */
export type CandidateOutcome = Pick<CandidateRecord, 'id' | 'parentId' | 'operator' | 'model' | 'style' | 'status' | 'score' | 'usd' | 'island'>;

export type CandidateUpdate = Partial<
  Pick<
    CandidateRecord,
    | 'status'
    | 'reason'
    | 'description'
    | 'commitSha'
    | 'ref'
    | 'score'
    | 'metrics'
    | 'verdict'
    | 'flags'
    | 'startedAt'
    | 'finishedAt'
    | 'evalMs'
    | 'tokensIn'
    | 'tokensOut'
    | 'usd'
    | 'model'
  >
>;

export interface StoreOptions {
  /** Open for reading only (a store on a read-only file system, or one the user may not write). */
  readonly?: boolean;
}

export class Store {
  /** The connection; only the store speaks SQL (its read side is `queries`). */
  private readonly db: Database.Database;
  readonly readonly: boolean;
  readonly queries: RunQueries;
  /** The verifier audits of the problem (evoloop audit). */
  readonly audits: AuditRecords;
  /** What stages wrote to $EVOLOOP_ARTIFACTS (rows here, contents beside the database). */
  readonly artifacts: ArtifactStore;
  /** What a search strategy keeps beyond candidate rows (island archives, counters). */
  readonly search: SearchState;
  /** What a distributed run's coordinator last saw of its workers and queue. */
  readonly fleet: FleetRecords;
  /** The novelty filter's signatures (store/signatures.ts). */
  readonly signatures: NoveltySignatures;
  /** The model calls and what they cost (store/llm-calls.ts). */
  readonly llmCalls: LlmCalls;
  private readonly stmts;
  /** Prepared statements by their text: the store's SQL is a small fixed set, so each is prepared once. */
  private readonly prepared = new Map<string, Database.Statement>();
  /** This connection's writer session (sessions.ts), from its first write to close(). */
  private session: string | undefined;
  /** Checkpoints the WAL off this thread while this connection writes (store/checkpointer.ts). */
  private checkpointer: Checkpointer | undefined;

  constructor(
    readonly file: string,
    opts: StoreOptions = {},
  ) {
    this.readonly = opts.readonly ?? false;
    this.db = openConnection(file, this.readonly);
    const db = this.db;
    this.queries = new RunQueries(db);
    this.audits = new AuditRecords(db, () => this.willWrite());
    this.artifacts = new ArtifactStore(db, path.join(path.dirname(file), 'artifacts', 'objects'));
    this.search = new SearchState(db, () => this.willWrite());
    this.fleet = new FleetRecords(db, () => this.willWrite());
    this.signatures = new NoveltySignatures(db, () => this.willWrite());
    this.llmCalls = new LlmCalls(db, () => this.willWrite());
    this.stmts = {
      putBlob: db.prepare('INSERT OR IGNORE INTO blobs(hash, content) VALUES (?, ?)'),
      getBlob: db.prepare('SELECT content FROM blobs WHERE hash = ?').pluck(),
      getRun: db.prepare('SELECT * FROM runs WHERE id = ?'),
      getCandidate: db.prepare('SELECT * FROM candidates WHERE id = ?'),
      byHash: db
        .prepare("SELECT id FROM candidates WHERE run_id = ? AND change_hash = ? AND status NOT IN ('invalid', 'duplicate') ORDER BY id LIMIT 1")
        .pluck(),
      measurements: db.prepare('SELECT * FROM measurements WHERE candidate_id = ? AND epoch = ? ORDER BY id'),
      insertMeasurement: db.prepare(`INSERT INTO measurements
        (candidate_id, epoch, stage, kind, repeat, seed, ok, failure_kind, failure_message, metrics_json, feedback,
         exit_code, signal, duration_ms, stdout_tail, stderr_tail, created_at, host)
        VALUES (@candidateId, @epoch, @stage, @kind, @repeat, @seed, @ok, @failureKind, @failureMessage, @metricsJson, @feedback,
         @exitCode, @signal, @durationMs, @stdoutTail, @stderrTail, @createdAt, @host)`),
      insertEvent: db.prepare('INSERT INTO events(run_id, ts, type, candidate_id, data_json) VALUES (?, ?, ?, ?, ?)'),
    };
  }

  private sql(text: string): Database.Statement {
    let stmt = this.prepared.get(text);
    if (!stmt) this.prepared.set(text, (stmt = this.db.prepare(text)));
    return stmt;
  }

  /**
   * Every write method calls this first: the first write records this connection as a
   * writer, so losing the WAL afterwards is noticed.
   */
  private willWrite(): void {
    if (this.session !== undefined || this.readonly) return;
    this.session = openSession(this.db);
    this.checkpointer = new Checkpointer(this.file);
  }

  /** Runs `fn` (calls of this store's methods) as one transaction: all of it is written, or none. */
  transaction<T>(fn: () => T): T {
    this.willWrite(); // before the transaction: it checkpoints
    return this.db.transaction(fn)();
  }

  /** SQLite's integrity_check and foreign_key_check findings; empty when the file is sound. */
  problems(): string[] {
    return databaseProblems(this.db);
  }

  /** A consistent copy of the whole database, taken while others may write. */
  async backupTo(file: string): Promise<void> {
    await this.db.backup(file);
  }

  count(table: 'runs' | 'candidates'): number {
    return this.sql(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
  }

  close(): void {
    this.checkpointer?.stop();
    this.checkpointer = undefined;
    if (this.session !== undefined && this.db.open) closeSession(this.db, this.session);
    this.db.close();
  }

  // ── blobs ──────────────────────────────────────────────────────────────────
  putBlob(content: string): string {
    this.willWrite();
    const hash = createHash('sha256').update(content).digest('hex');
    this.stmts.putBlob.run(hash, content);
    return hash;
  }

  getBlob(hash: string): string {
    const content = this.stmts.getBlob.get(hash) as string | undefined;
    if (content === undefined) throw new Error(`store is missing blob ${hash}`);
    return content;
  }

  /** A candidate's full overlay (every file that differs from the base). */
  candidateFiles(c: Pick<CandidateRecord, 'files'>): FileSet {
    return Object.fromEntries(Object.entries(c.files).map(([p, h]) => [p, this.getBlob(h)]));
  }

  // ── runs ───────────────────────────────────────────────────────────────────
  createRun(run: Omit<RunRecord, 'createdAt' | 'updatedAt' | 'elapsedMs' | 'stopReason' | 'baselineId' | 'championId' | 'heartbeatAt'>): RunRecord {
    this.willWrite();
    const now = Date.now();
    this.sql(
      `INSERT INTO runs(id, created_at, updated_at, problem_dir, repo_root, base_commit, config_json, config_hash, status, owner_pid, heartbeat_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(run.id, now, now, run.problemDir, run.repoRoot, run.baseCommit, run.configJson, run.configHash, run.status, run.ownerPid, now);
    return this.getRun(run.id)!;
  }

  getRun(id: string): RunRecord | undefined {
    const row = this.stmts.getRun.get(id) as Row | undefined;
    return row && toRun(row);
  }

  latestRun(): RunRecord | undefined {
    const row = this.sql('SELECT * FROM runs ORDER BY created_at DESC, rowid DESC LIMIT 1').get() as Row | undefined;
    return row && toRun(row);
  }

  listRuns(): RunRecord[] {
    return (this.sql('SELECT * FROM runs ORDER BY created_at').all() as Row[]).map(toRun);
  }

  /** The dashboard's stop button: a request the running engine's heartbeat polls (stopRequestedSince). */
  requestStop(runId: string, at = Date.now()): void {
    this.willWrite();
    this.sql('UPDATE runs SET stop_requested_at = ? WHERE id = ?').run(at, runId);
  }

  updateRun(id: string, fields: Partial<Omit<RunRecord, 'id' | 'createdAt'>>): void {
    this.willWrite();
    const entries = Object.entries({ ...fields, updatedAt: Date.now() });
    const sets = entries.map(([k]) => `${snake(k)} = ?`).join(', ');
    this.sql(`UPDATE runs SET ${sets} WHERE id = ?`).run(...entries.map(([, v]) => v as never), id);
  }

  // ── candidates ─────────────────────────────────────────────────────────────
  insertCandidate(c: NewCandidate): CandidateRecord {
    const parents = c.parents ?? (c.parentId === null ? [] : [c.parentId]);
    if (parents.length > 0 && parents[0] !== c.parentId) throw new Error(`parents must start with parentId ${c.parentId}; got ${parents.join(', ')}`);
    const insert = () =>
      this.transaction(() => {
        const files = Object.fromEntries(Object.entries(c.files).map(([p, content]) => [p, this.putBlob(content)]));
        const info = this.sql(
          `INSERT INTO candidates(run_id, parent_id, parent2_id, parents_json, status, reason, operator, model, description, files_json, patch,
             change_hash, flags_json, island, tokens_in, tokens_out, usd, created_at, style)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          c.runId,
          c.parentId,
          parents[1] ?? null,
          JSON.stringify(parents),
          c.status,
          c.reason ?? null,
          c.operator,
          c.model ?? null,
          c.description,
          JSON.stringify(files),
          c.patch,
          c.changeHash,
          JSON.stringify(c.flags ?? []),
          c.island ?? null,
          c.tokensIn ?? 0,
          c.tokensOut ?? 0,
          c.usd ?? 0,
          Date.now(),
          c.style ?? null,
        );
        return Number(info.lastInsertRowid);
      });
    return this.getCandidate(insert())!;
  }

  getCandidate(id: number): CandidateRecord | undefined {
    const row = this.stmts.getCandidate.get(id) as Row | undefined;
    return row && toCandidate(row);
  }

  updateCandidate(id: number, fields: CandidateUpdate): void {
    const encode: Record<string, (v: unknown) => unknown> = {
      metrics: (v) => (v == null ? null : JSON.stringify(v)),
      verdict: (v) => (v == null ? null : JSON.stringify(v)),
      flags: (v) => JSON.stringify(v),
    };
    const entries = Object.entries(fields).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return;
    this.willWrite();
    const sets = entries.map(([k]) => `${snake(k)}${k in encode ? '_json' : ''} = ?`).join(', ');
    const values = entries.map(([k, v]) => (k in encode ? encode[k](v) : v));
    this.sql(`UPDATE candidates SET ${sets} WHERE id = ?`).run(...(values as never[]), id);
  }

  /** Git refs the store records for these runs' candidates, with their commits. */
  candidateRefs(runIds: string[]): { ref: string; sha: string }[] {
    return this.sql(
      `SELECT ref, commit_sha AS sha FROM candidates WHERE ref IS NOT NULL AND commit_sha IS NOT NULL AND run_id IN (SELECT value FROM json_each(?))`,
    ).all(JSON.stringify(runIds)) as { ref: string; sha: string }[];
  }

  /** Forgets the refs of a run's candidates except `keep` (`evoloop gc` deleted them): doctor then expects none. Returns how many. */
  forgetRefs(runId: string, keep: number[]): number {
    this.willWrite();
    return this.sql(`UPDATE candidates SET ref = NULL WHERE run_id = ? AND ref IS NOT NULL AND id NOT IN (SELECT value FROM json_each(?))`).run(
      runId,
      JSON.stringify(keep),
    ).changes;
  }

  /** The first evaluated candidate of this run with the same change, if any. */
  findByChangeHash(runId: string, changeHash: string): number | undefined {
    return this.stmts.byHash.get(runId, changeHash) as number | undefined;
  }

  listCandidates(runId: string, opts: { status?: CandidateStatus[]; limit?: number; offset?: number; order?: 'asc' | 'desc' } = {}): CandidateRecord[] {
    const where = ['run_id = ?'];
    const args: unknown[] = [runId];
    if (opts.status?.length) {
      where.push(`status IN (${opts.status.map(() => '?').join(', ')})`);
      args.push(...opts.status);
    }
    const sql = `SELECT * FROM candidates WHERE ${where.join(' AND ')} ORDER BY id ${opts.order === 'desc' ? 'DESC' : 'ASC'}
      LIMIT ? OFFSET ?`;
    args.push(opts.limit ?? -1, opts.offset ?? 0);
    return (this.sql(sql).all(...(args as never[])) as Row[]).map(toCandidate);
  }

  /**
   * What a resumed run replays of each candidate (the operators' history, the bandits), a page of
   * `limit` at a time in id order after `afterId`: a run of 100,000 is never all in memory as rows.
   */
  outcomes(runId: string, afterId: number, limit: number): CandidateOutcome[] {
    return this.sql(
      'SELECT id, parent_id AS parentId, operator, model, style, status, score, usd, island FROM candidates WHERE run_id = ? AND id > ? ORDER BY id LIMIT ?',
    ).all(runId, afterId, limit) as CandidateOutcome[];
  }

  countByStatus(runId: string): Record<string, number> {
    const rows = this.sql('SELECT status, COUNT(*) AS n FROM candidates WHERE run_id = ? GROUP BY status').all(runId) as {
      status: string;
      n: number;
    }[];
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  // ── measurements ───────────────────────────────────────────────────────────
  /** Records one finished stage run; durable when this returns. Re-recording the same slot is a no-op. */
  addMeasurement(candidateId: number, epoch: number, r: StageResult): void {
    this.willWrite();
    try {
      this.stmts.insertMeasurement.run({
        candidateId,
        epoch,
        stage: r.stage,
        kind: r.kind,
        repeat: r.repeat,
        seed: r.seed,
        ok: r.ok ? 1 : 0,
        failureKind: r.failure?.kind ?? null,
        failureMessage: r.failure?.message ?? null,
        metricsJson: JSON.stringify(r.metrics),
        feedback: r.feedback ?? null,
        exitCode: r.exitCode,
        signal: r.signal,
        durationMs: Math.round(r.durationMs),
        stdoutTail: r.stdoutTail,
        stderrTail: r.stderrTail,
        createdAt: Date.now(),
        host: r.host ?? null,
      });
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_CONSTRAINT_UNIQUE') throw err;
    }
  }

  measurements(candidateId: number, epoch = 0): MeasurementRecord[] {
    return (this.stmts.measurements.all(candidateId, epoch) as Row[]).map(toMeasurement);
  }

  /** A candidate's objective samples in one epoch, one per complete repeat in order: the one source of samples. */
  objectiveSamples(candidateId: number, scoring: SampleScoring, epoch = 0): number[] {
    return objectiveSamples(this.measurements(candidateId, epoch), scoring);
  }

  // ── events ────────────────────────────────────────────────
  addEvent(runId: string, type: string, candidateId: number | null, data: Record<string, unknown> = {}): number {
    this.willWrite();
    return Number(this.stmts.insertEvent.run(runId, Date.now(), type, candidateId, JSON.stringify(data)).lastInsertRowid);
  }

  events(runId: string, afterId = 0, limit = 1000): { id: number; ts: number; type: string; candidateId: number | null; data: Record<string, unknown> }[] {
    const rows = this.sql('SELECT * FROM events WHERE run_id = ? AND id > ? ORDER BY id LIMIT ?').all(runId, afterId, limit) as Row[];
    return rows.map((r) => ({
      id: r.id as number,
      ts: r.ts as number,
      type: r.type as string,
      candidateId: r.candidate_id as number | null,
      data: JSON.parse(r.data_json as string),
    }));
  }
}

export function openStore(problemDir: string, opts: StoreOptions = {}): Store {
  return new Store(storePath(problemDir), opts);
}

/** Whether the problem folder has a store (a missing database with its WAL or backups left is damage, see storeFileExists). */
export const hasStore = (problemDir: string): boolean => storeFileExists(storePath(problemDir));
