// Automatic backups of the store: SQLite's online backup API copies it while the run goes
// on, into .evoloop/backup/evoloop-<UTC stamp>.db. A copy is written under a temporary
// name, made self-contained (rollback journal, no WAL beside it), checked with
// integrity_check and only then renamed into place; older copies are pruned only after
// that, so a bad copy never replaces a good one.
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Store } from './store.js';

/** How many verified backups are kept. */
export const BACKUPS_KEPT = 3;
/** How often a running session takes one (and once more at every clean stop). */
export const BACKUP_EVERY_MS = 10 * 60_000;

export interface Backup {
  file: string;
  takenAt: number;
}

const NAME = /^evoloop-(\d{8}T\d{9}Z)\.db$/;

export const backupFolder = (storeFile: string) => path.join(path.dirname(storeFile), 'backup');

/** The backups beside a store, newest first. */
export function listBackups(storeFile: string): Backup[] {
  const dir = backupFolder(storeFile);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((name) => NAME.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ file: path.join(dir, m[0]), takenAt: parseStamp(m[1]) }))
    .sort((a, b) => b.takenAt - a.takenAt);
}

/** Problems SQLite finds in an open database (integrity_check, foreign_key_check); empty when sound. */
export function databaseProblems(db: Database.Database): string[] {
  try {
    const integrity = (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check);
    if (integrity.length !== 1 || integrity[0] !== 'ok') return integrity.slice(0, 5);
    const fk = db.pragma('foreign_key_check') as { table: string; rowid: number; parent: string }[];
    return fk.slice(0, 5).map((r) => `${r.table} row ${r.rowid} refers to a missing ${r.parent} row`);
  } catch (err) {
    return [(err as Error).message]; // damage bad enough that the check itself fails
  }
}

/** databaseProblems of a file (a backup), opened read-only. */
export function verifyDatabase(file: string): string[] {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    return databaseProblems(db);
  } catch (err) {
    return [(err as Error).message];
  } finally {
    db?.close();
  }
}

/** When a database last recorded anything (a run's heartbeat, an event), 0 if never. */
export function lastWriteAt(db: Database.Database): number {
  return (db.prepare('SELECT MAX(t) FROM (SELECT MAX(updated_at) AS t FROM runs UNION ALL SELECT MAX(ts) FROM events)').pluck().get() as number | null) ?? 0;
}

/** The newest backup that passes verifyDatabase, and the newer ones that did not. */
export function newestGoodBackup(storeFile: string): { good?: Backup; bad: { backup: Backup; problems: string[] }[] } {
  const bad: { backup: Backup; problems: string[] }[] = [];
  for (const backup of listBackups(storeFile)) {
    const problems = verifyDatabase(backup.file);
    if (problems.length === 0) return { good: backup, bad };
    bad.push({ backup, problems });
  }
  return { bad };
}

/** Copies the store into a new verified backup and prunes the oldest beyond BACKUPS_KEPT. */
export async function takeBackup(store: Store, now = new Date()): Promise<Backup> {
  const dir = backupFolder(store.file);
  mkdirSync(dir, { recursive: true });
  const final = path.join(dir, `evoloop-${stamp(now)}.db`);
  const tmp = path.join(dir, `.${path.basename(final)}.tmp-${process.pid}`);
  try {
    await store.backupTo(tmp);
    const problems = makeSelfContained(tmp);
    if (problems.length > 0) throw new Error(`the new backup of ${store.file} fails its check (${problems.join('; ')}); the older backups are kept`);
    renameSync(tmp, final);
  } finally {
    rmSync(tmp, { force: true });
    rmSync(`${tmp}-journal`, { force: true });
  }
  for (const old of listBackups(store.file).slice(BACKUPS_KEPT)) rmSync(old.file, { force: true });
  return { file: final, takenAt: now.getTime() };
}

/** Turns a fresh copy into one file (rollback journal) and checks it; returns its problems. */
function makeSelfContained(copyFile: string): string[] {
  try {
    const copy = new Database(copyFile);
    try {
      copy.pragma('journal_mode = DELETE');
      // The copy's writer sessions are not sessions of the restored file.
      copy.exec('DELETE FROM store_sessions');
    } finally {
      copy.close();
    }
  } catch (err) {
    return [(err as Error).message];
  }
  return verifyDatabase(copyFile);
}

/**
 * Puts a backup in the store's place. The damaged files (database, WAL, shared memory) are
 * kept beside it as evoloop.db.damaged-<stamp> (and -wal, -shm, so SQLite can still open
 * them together). Returns the damaged database's new name, if there was one.
 */
export function restoreBackup(storeFile: string, backup: Backup, now = new Date()): string | undefined {
  const damaged = `${storeFile}.damaged-${stamp(now)}`;
  const moved = existsSync(storeFile);
  if (moved) renameSync(storeFile, damaged);
  for (const suffix of ['-wal', '-shm', '-journal']) {
    if (existsSync(storeFile + suffix)) renameSync(storeFile + suffix, damaged + suffix);
  }
  const tmp = `${storeFile}.restoring-${process.pid}`;
  copyFileSync(backup.file, tmp);
  renameSync(tmp, storeFile);
  return moved ? damaged : undefined;
}

/** Backups every `everyMs` while a session runs; `stop()` waits for one in flight and takes the last one. */
export function periodicBackups(store: Store, onError: (err: Error) => void, everyMs = BACKUP_EVERY_MS): { stop(): Promise<void> } {
  let last: Promise<unknown> = Promise.resolve();
  const backup = () => (last = last.then(() => takeBackup(store)).catch(onError));
  const timer = setInterval(backup, everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await backup();
    },
  };
}

/** "2025-06-01 14:03:07, 12 min ago", in local time. */
export function describeTime(ms: number, now = Date.now()): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  const at = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const min = Math.round((now - ms) / 60_000);
  const ago =
    min < 1 ? 'less than a minute ago' : min < 120 ? `${min} min ago` : min < 48 * 60 ? `${Math.round(min / 60)} h ago` : `${Math.round(min / 1440)} days ago`;
  return `${at}, ${ago}`;
}

/** 20250601T140307123Z: sorts by time, safe in a file name. */
const stamp = (d: Date) => d.toISOString().replace(/[-:.]/g, '');

function parseStamp(s: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z$/.exec(s)!;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], +m[7]);
}
