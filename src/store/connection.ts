// Opening the store's SQLite file: the damage checks before (store/damage.ts), the
// connection's settings, the schema migrations, and the writer sessions left by processes
// that died (store/sessions.ts). A damaged file is refused in words, never taken for a new
// store; a read-only one can still be read.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { RunError } from '../core/errors.js';
import { notWritable, StoreNotWritableError } from './access.js';
import { WRITER_AUTOCHECKPOINT_PAGES } from './checkpointer.js';
import { corrupt, inspectStoreFile, lostWal, StoreDamagedError } from './damage.js';
import { MIGRATIONS } from './migrations.js';
import { deadSessions, forgetSessions } from './sessions.js';

/**
 * Whether the database file exists. A missing one with its WAL or backups still there is
 * damage (StoreDamagedError), not "no store": a new run must not replace it.
 */
export function storeFileExists(file: string): boolean {
  if (existsSync(file)) return true;
  const damage = inspectStoreFile(file);
  if (damage) throw new StoreDamagedError(damage);
  return false;
}

export function openConnection(file: string, readonly: boolean): Database.Database {
  const damage = inspectStoreFile(file);
  if (damage) throw new StoreDamagedError(damage);
  const walBefore = existsSync(`${file}-wal`);
  let db: Database.Database;
  if (readonly) {
    db = openReadonly(file, walBefore);
  } else {
    const denied = notWritable(file);
    if (denied) throw new StoreNotWritableError(denied);
    mkdirSync(path.dirname(file), { recursive: true });
    // evoloop's folder never shows up in the user's `git status`, with or without their .gitignore.
    const ignore = path.join(path.dirname(file), '.gitignore');
    if (!existsSync(ignore)) writeFileSync(ignore, '*\n');
    db = new Database(file);
  }
  try {
    prepare(db, file, readonly, walBefore);
  } catch (err) {
    db.close();
    const code = (err as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') throw new StoreDamagedError(corrupt(file, (err as Error).message));
    throw err;
  }
  return db;
}

function prepare(db: Database.Database, file: string, readonly: boolean, walBefore: boolean): void {
  if (!readonly) {
    db.pragma('journal_mode = WAL');
    // In WAL mode NORMAL keeps every committed transaction through a process crash (kill -9):
    // the WAL is written before commit returns and the OS keeps it. Only a power loss can
    // drop the last few; FULL would pay an fsync per write for that.
    db.pragma('synchronous = NORMAL');
    db.pragma(`wal_autocheckpoint = ${WRITER_AUTOCHECKPOINT_PAGES}`);
    // A long run's log is reset after each complete checkpoint; this caps what the file keeps.
    db.pragma('journal_size_limit = 67108864');
  }
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  migrate(db, file, readonly);
  const dead = deadSessions(db);
  if (dead.length > 0 && !walBefore) throw new StoreDamagedError(lostWal(file, dead));
  // The WAL was there, so SQLite replayed what those sessions wrote: nothing is lost.
  if (dead.length > 0 && !readonly) forgetSessions(db, dead);
}

function migrate(db: Database.Database, file: string, readonly: boolean): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new RunError(`${file} was written by a newer evoloop (schema ${version}, this one knows ${MIGRATIONS.length}). Fix: upgrade evoloop.`);
  }
  if (version < MIGRATIONS.length && readonly) {
    throw new RunError(
      `${file} was written by an older evoloop (schema ${version}, this one reads ${MIGRATIONS.length}) and is read-only, so it cannot be upgraded. Fix: make it writable once (any evoloop command then upgrades it), or use the evoloop that wrote it.`,
    );
  }
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

/**
 * A read-only connection. SQLite reads a WAL-mode database read-only only when its -wal and
 * -shm files exist or can be created; on a read-only folder after a clean close neither
 * does, so the file (complete: there is no WAL) is read into memory instead.
 */
function openReadonly(file: string, wal: boolean): Database.Database {
  if (wal) {
    if (!existsSync(`${file}-shm`) && notWritable(file)) {
      throw new RunError(
        `${file} has a write-ahead log (${path.basename(file)}-wal, left by a process that did not close it) but no ${path.basename(file)}-shm, and its folder is read-only, so SQLite cannot read the two together. Fix: make .evoloop writable once, or copy the problem folder (with .evoloop/) somewhere writable.`,
      );
    }
    return new Database(file, { readonly: true, fileMustExist: true });
  }
  const image = readFileSync(file);
  image[18] = 1; // file format: rollback journal, as the in-memory copy has no WAL
  image[19] = 1;
  return new Database(image, { readonly: true });
}
