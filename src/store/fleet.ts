// Distributed evaluation as the coordinator last saw it: its workers (one row per worker and
// run, replaced) and the queue's depth. Reached as `store.fleet`, for `status` and the dashboard.
import type Database from 'better-sqlite3';
import type { WorkerRecord } from './records.js';

type Row = Record<string, unknown>;

export class FleetRecords {
  private readonly stmts;

  constructor(
    private readonly db: Database.Database,
    private readonly willWrite: () => void,
  ) {
    this.stmts = {
      upsertWorker: db.prepare(`INSERT INTO workers(run_id, id, host, labels_json, jobs_done, failures, busy, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(run_id, id) DO UPDATE SET host = excluded.host, labels_json = excluded.labels_json, jobs_done = excluded.jobs_done,
          failures = excluded.failures, busy = excluded.busy, last_seen = excluded.last_seen`),
      workers: db.prepare('SELECT * FROM workers WHERE run_id = ? ORDER BY id'),
      saveDepth: db.prepare(
        `INSERT INTO queue_depth(run_id, waiting, active, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(run_id) DO UPDATE SET waiting = excluded.waiting, active = excluded.active, updated_at = excluded.updated_at`,
      ),
      depth: db.prepare('SELECT waiting, active, updated_at AS updatedAt FROM queue_depth WHERE run_id = ?'),
    };
  }

  /** Records each worker as the coordinator saw it, all in one transaction. */
  saveWorkers(runId: string, workers: WorkerRecord[]): void {
    this.willWrite();
    this.db.transaction(() => {
      for (const w of workers) this.stmts.upsertWorker.run(runId, w.id, w.host, JSON.stringify(w.labels), w.jobsDone, w.failures, w.busy, w.lastSeen);
    })();
  }

  workers(runId: string): WorkerRecord[] {
    return (this.stmts.workers.all(runId) as Row[]).map((r) => ({
      id: r.id as string,
      host: r.host as string,
      labels: JSON.parse(r.labels_json as string) as string[],
      jobsDone: r.jobs_done as number,
      failures: r.failures as number,
      busy: r.busy as number,
      lastSeen: r.last_seen as number,
    }));
  }

  saveQueueDepth(runId: string, depth: { waiting: number; active: number }): void {
    this.willWrite();
    this.stmts.saveDepth.run(runId, depth.waiting, depth.active, Date.now());
  }

  /** The queue's depth as last seen; undefined for a run that never used a queue. */
  queueDepth(runId: string): { waiting: number; active: number; updatedAt: number } | undefined {
    return this.stmts.depth.get(runId) as { waiting: number; active: number; updatedAt: number } | undefined;
  }
}
