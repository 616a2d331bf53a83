// A damaged store, found before SQLite gets to guess. Opened blindly, SQLite takes a 0-byte
// or missing file for a new database (a new run starts and the old one is silently gone), a
// missing WAL for a clean close (its transactions silently vanish), and a cut-off file for
// whatever its header says until a query hits the hole. Each case is told here in words:
// the file, what is wrong, and the fix (the newest good backup, or `evoloop doctor`).
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { RunError } from '../core/errors.js';
import { describeTime, listBackups, newestGoodBackup } from './backup.js';
import type { SessionRow } from './sessions.js';

export type DamageKind = 'missing' | 'empty' | 'not-sqlite' | 'truncated' | 'lost-wal' | 'corrupt';

export interface StoreDamage {
  kind: DamageKind;
  file: string;
  /** What is wrong, as a phrase that follows the file name. */
  what: string;
}

export class StoreDamagedError extends RunError {
  constructor(readonly damage: StoreDamage) {
    super(damageMessage(damage));
  }
}

const MAGIC = 'SQLite format 3\0';

/**
 * What is wrong with the store's files as they lie on disk, before opening them; undefined
 * when nothing is (including "no store yet": no database, no WAL, no backup).
 */
export function inspectStoreFile(file: string): StoreDamage | undefined {
  const wal = fileSize(`${file}-wal`);
  const size = fileSize(file);
  if (size === undefined) {
    const evidence = [
      wal !== undefined && `${path.basename(file)}-wal`,
      existsSync(`${file}-shm`) && `${path.basename(file)}-shm`,
      listBackups(file).length > 0 && 'backups in backup/',
    ]
      .filter(Boolean)
      .join(', ');
    return evidence ? { kind: 'missing', file, what: `is missing, but ${evidence} show that a store was here (deleted or moved?)` } : undefined;
  }
  if (size === 0) return { kind: 'empty', file, what: 'is empty (0 bytes): it was truncated or overwritten' };
  const header = Buffer.alloc(100);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  const raw = header.readUInt16BE(16);
  const pageSize = raw === 1 ? 65536 : raw;
  if (size < 100 || header.toString('latin1', 0, 16) !== MAGIC || pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) {
    return { kind: 'not-sqlite', file, what: `is not an SQLite database (its first bytes are not an SQLite header; ${size} bytes): it was overwritten` };
  }
  // With a non-empty WAL beside it the file may lag behind its header (a checkpoint cut short
  // by a kill); SQLite finishes that from the WAL. Without one, the header's size must fit.
  if (!wal) {
    const pages = header.readUInt32BE(28);
    const valid = header.readUInt32BE(92) === header.readUInt32BE(24);
    if (size % pageSize !== 0 || (valid && pages > 0 && size < pages * pageSize)) {
      const expected = valid && pages > 0 ? `; its header says ${pages} pages of ${pageSize} bytes, ${pages * pageSize} bytes` : '';
      return { kind: 'truncated', file, what: `is cut off (${size} bytes${expected}): its end is missing` };
    }
  }
  return undefined;
}

/** The damage a missing WAL means when writer sessions did not close (see sessions.ts). */
export function lostWal(file: string, dead: SessionRow[]): StoreDamage {
  const s = dead[dead.length - 1];
  return {
    kind: 'lost-wal',
    file,
    what: `has lost its write-ahead log: ${path.basename(file)}-wal is missing, but the evoloop process that was writing (pid ${s.pid}, since ${describeTime(s.openedAt)}) never closed the store, so the transactions it wrote after the last checkpoint are gone`,
  };
}

/** SQLite's own verdict on a file that passed the checks above. */
export function corrupt(file: string, sqliteMessage: string): StoreDamage {
  return { kind: 'corrupt', file, what: `is damaged (SQLite: ${sqliteMessage})` };
}

export function damageMessage(d: StoreDamage): string {
  return `the store ${d.file} ${d.what}. Fix: ${damageFix(d)}`;
}

/** What to do about a damaged store: the newest good backup to restore, or what else there is. */
export function damageFix(d: StoreDamage): string {
  const problemDir = path.dirname(path.dirname(d.file));
  const doctor = `evoloop doctor --repair ${problemDir}`;
  const { good } = newestGoodBackup(d.file);
  const backup = good && `${path.relative(problemDir, good.file)} (taken ${describeTime(good.takenAt)})`;
  if (d.kind === 'lost-wal') {
    return `\`${doctor}\` keeps the database as of its last checkpoint, or restores the newest good backup${backup ? `, ${backup},` : ''} if that is newer.`;
  }
  if (backup) {
    return `\`${doctor}\` restores the newest good backup, ${backup}, and keeps the damaged file as ${path.basename(d.file)}.damaged-<time>. (\`evoloop doctor\` without --repair only reports.)`;
  }
  return `there is no good automatic backup to restore (evoloop takes one every 10 minutes during a run and at every clean stop). \`evoloop doctor ${problemDir}\` reports what else is wrong; to start over, move ${path.dirname(d.file)} away (what it recorded is lost).`;
}

/** A plain-words message for an SQLite error that reaches the CLI, or undefined for other errors. */
export function describeSqliteError(err: unknown): string | undefined {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return undefined;
  const sqlite = `(SQLite: ${(err as Error).message})`;
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return `the store (.evoloop/evoloop.db) is damaged ${sqlite}. Fix: \`evoloop doctor --repair <problem folder>\` restores the newest good automatic backup.`;
  }
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code === 'SQLITE_PERM') {
    return `the store (.evoloop/evoloop.db) cannot be written ${sqlite}: its folder or file is read-only. Fix: make .evoloop writable (chmod -R u+w .evoloop, chattr -R -i .evoloop, or remount the file system read-write).`;
  }
  if (code === 'SQLITE_FULL') return `the disk holding the store is full ${sqlite}. Fix: free some space, then \`evoloop run\` resumes.`;
  if (code.startsWith('SQLITE_IOERR'))
    return `the store could not be read or written ${sqlite}. Fix: check the disk, then \`evoloop doctor <problem folder>\`.`;
  return undefined;
}

function fileSize(file: string): number | undefined {
  try {
    return statSync(file).size;
  } catch {
    return undefined;
  }
}
