// Writer sessions: how a missing write-ahead log is told apart from a clean close.
//
// SQLite deletes evoloop.db-wal when the last connection closes cleanly, after copying it
// into evoloop.db. After a kill -9 the WAL stays, and the next open replays it. If it is
// deleted then (by hand, by a copy that took only evoloop.db, by a cleanup script), SQLite
// silently opens the database as of its last checkpoint. So every connection that writes
// records a row here before its first write and checkpoints it into the main file (where
// losing the WAL cannot take it); a clean close deletes the row. A row whose process is
// gone, found while the WAL is missing, means that process's last writes are lost.
import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import { processAlive } from '../core/process-alive.js';

export interface SessionRow {
  id: string;
  pid: number;
  openedAt: number;
}

const hasTable = (db: Database.Database) => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'store_sessions'").get() !== undefined;

/** Records a writer session and makes the record survive the loss of the WAL. Returns its id. */
export function openSession(db: Database.Database): string {
  const id = randomBytes(8).toString('hex');
  db.prepare('INSERT INTO store_sessions(id, pid, opened_at) VALUES (?, ?, ?)').run(id, process.pid, Date.now());
  // FULL waits (busy_timeout) for readers of older snapshots, so the row really reaches evoloop.db.
  // Inside a caller's transaction a checkpoint is impossible (SQLITE_LOCKED): the row then
  // reaches the file at SQLite's next automatic checkpoint instead.
  if (!db.inTransaction) db.pragma('wal_checkpoint(FULL)');
  return id;
}

export function closeSession(db: Database.Database, id: string): void {
  db.prepare('DELETE FROM store_sessions WHERE id = ?').run(id);
}

/** Writer sessions whose process is gone without closing the store. */
export function deadSessions(db: Database.Database): SessionRow[] {
  if (!hasTable(db)) return [];
  const rows = db.prepare('SELECT id, pid, opened_at AS openedAt FROM store_sessions ORDER BY opened_at').all() as SessionRow[];
  return rows.filter((r) => !processAlive(r.pid));
}

/** Forgets dead sessions: their writes were replayed from the WAL, or their loss was accepted. */
export function forgetSessions(db: Database.Database, rows: SessionRow[]): void {
  const del = db.prepare('DELETE FROM store_sessions WHERE id = ?');
  for (const r of rows) del.run(r.id);
}
