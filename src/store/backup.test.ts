import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  BACKUPS_KEPT,
  backupFolder,
  describeTime,
  listBackups,
  newestGoodBackup,
  periodicBackups,
  restoreBackup,
  takeBackup,
  verifyDatabase,
} from './backup.js';
import { Store } from './store.js';
import { TEST_RUN } from '../../test/support/test-run.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'evoloop-backup-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const RUN = TEST_RUN;

function openFilled(): Store {
  const store = new Store(path.join(tmp, `p${n++}`, '.evoloop', 'evoloop.db'));
  store.createRun(RUN);
  for (let i = 0; i < 50; i++) store.addEvent('r1', 'notice', null, { i });
  return store;
}

describe('takeBackup', () => {
  it('writes a self-contained, verified copy of the live store without its writer sessions', async () => {
    const store = openFilled();
    const b = await takeBackup(store, new Date(Date.UTC(2025, 5, 1, 14, 3, 7, 123)));
    expect(path.basename(b.file)).toBe('evoloop-20250601T140307123Z.db');
    expect(readdirSync(backupFolder(store.file))).toEqual(['evoloop-20250601T140307123Z.db']); // no temp file, no -wal beside it
    expect(verifyDatabase(b.file)).toEqual([]);
    const copy = new Database(b.file, { readonly: true });
    expect(copy.pragma('journal_mode', { simple: true })).toBe('delete');
    expect(copy.prepare('SELECT COUNT(*) FROM events').pluck().get()).toBe(50);
    expect(copy.prepare('SELECT COUNT(*) FROM store_sessions').pluck().get()).toBe(0);
    copy.close();
    expect(listBackups(store.file)).toEqual([{ file: b.file, takenAt: Date.UTC(2025, 5, 1, 14, 3, 7, 123) }]);
    store.close();
  });

  it(`keeps the newest ${BACKUPS_KEPT}, pruning older ones only after the new one passed its check`, async () => {
    const store = openFilled();
    for (let i = 0; i < BACKUPS_KEPT + 2; i++) await takeBackup(store, new Date(Date.UTC(2025, 0, 1, 0, 0, i)));
    expect(listBackups(store.file).map((b) => new Date(b.takenAt).getUTCSeconds())).toEqual([4, 3, 2]);
    // A copy that fails its check replaces nothing.
    const spy = vi.spyOn(store['db'], 'backup').mockImplementation(async (dest: string) => {
      writeFileSync(dest, 'not a database');
      return { totalPages: 1, remainingPages: 0 };
    });
    await expect(takeBackup(store, new Date(Date.UTC(2025, 0, 1, 0, 0, 9)))).rejects.toThrow(/fails its check .*the older backups are kept/);
    spy.mockRestore();
    expect(listBackups(store.file).map((b) => new Date(b.takenAt).getUTCSeconds())).toEqual([4, 3, 2]);
    expect(readdirSync(backupFolder(store.file)).filter((f) => f.includes('tmp'))).toEqual([]);
    store.close();
  });

  it('newestGoodBackup skips backups that fail integrity_check', async () => {
    const store = openFilled();
    const good = await takeBackup(store, new Date(Date.UTC(2025, 0, 1)));
    const badFile = path.join(backupFolder(store.file), 'evoloop-20250102T000000000Z.db');
    writeFileSync(badFile, 'garbage');
    const found = newestGoodBackup(store.file);
    expect(found.good).toEqual(good);
    expect(found.bad.map((b) => b.backup.file)).toEqual([badFile]);
    store.close();
  });
});

describe('periodicBackups', () => {
  it('backs up on its interval while running and once more at stop', async () => {
    const store = openFilled();
    const errors: Error[] = [];
    const schedule = periodicBackups(store, (e) => errors.push(e), 40);
    await new Promise((r) => setTimeout(r, 150));
    const during = listBackups(store.file).length;
    await schedule.stop();
    expect(during).toBeGreaterThanOrEqual(1);
    expect(listBackups(store.file).length).toBe(Math.min(BACKUPS_KEPT, during + 1));
    expect(errors).toEqual([]);
    store.close();
  });
});

describe('restoreBackup', () => {
  it('puts the backup in place and keeps the damaged database with its WAL and -shm beside it', async () => {
    const store = openFilled();
    const b = await takeBackup(store);
    store.close();
    writeFileSync(store.file, 'damaged');
    writeFileSync(`${store.file}-wal`, 'stale wal');
    writeFileSync(`${store.file}-shm`, 'stale shm');
    const damaged = restoreBackup(store.file, b, new Date(Date.UTC(2025, 0, 1)))!;
    expect(path.basename(damaged)).toBe('evoloop.db.damaged-20250101T000000000Z');
    expect(existsSync(`${damaged}-wal`) && existsSync(`${damaged}-shm`)).toBe(true);
    expect(existsSync(`${store.file}-wal`) || existsSync(`${store.file}-shm`)).toBe(false); // a stale WAL must not meet the restored file
    const restored = new Store(store.file);
    expect(restored.events('r1')).toHaveLength(50);
    restored.close();
  });
});

describe('describeTime', () => {
  it('gives the local time and how long ago', () => {
    const t = new Date(2025, 5, 1, 14, 3, 7).getTime();
    expect(describeTime(t, t + 12 * 60_000)).toBe('2025-06-01 14:03:07, 12 min ago');
    expect(describeTime(t, t + 10_000)).toBe('2025-06-01 14:03:07, less than a minute ago');
    expect(describeTime(t, t + 3 * 86_400_000)).toBe('2025-06-01 14:03:07, 3 days ago');
  });
});
