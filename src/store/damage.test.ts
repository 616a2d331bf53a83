import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, truncateSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { backupFolder } from './backup.js';
import { describeSqliteError, inspectStoreFile, StoreDamagedError } from './damage.js';
import { hasStore, Store } from './store.js';
import { TEST_RUN } from '../../test/support/test-run.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'evoloop-damage-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
/** A problem folder's store path: <tmp>/p<n>/.evoloop/evoloop.db */
const freshFile = () => path.join(tmp, `p${n++}`, '.evoloop', 'evoloop.db');
const RUN = TEST_RUN;

/** A closed store with one run and enough rows to span many pages. */
function filledStore(): string {
  const file = freshFile();
  const store = new Store(file);
  store.createRun(RUN);
  for (let i = 0; i < 200; i++) store.addEvent('r1', 'notice', null, { message: 'x'.repeat(500) });
  store.close();
  return file;
}

const damageOf = (file: string) => {
  try {
    new Store(file).close();
  } catch (err) {
    if (err instanceof StoreDamagedError) return err;
    throw err;
  }
  return undefined;
};

describe('inspectStoreFile', () => {
  it('no database, no WAL, no backup: no store yet, not damage', () => {
    const file = freshFile();
    expect(inspectStoreFile(file)).toBeUndefined();
    expect(hasStore(path.dirname(path.dirname(file)))).toBe(false);
  });

  it('a missing database with backups beside it is damage, not "no store"', () => {
    const file = filledStore();
    mkdirSync(backupFolder(file), { recursive: true });
    copyFileSync(file, path.join(backupFolder(file), 'evoloop-20250101T000000000Z.db'));
    rmSync(file);
    expect(inspectStoreFile(file)).toMatchObject({ kind: 'missing' });
    expect(() => hasStore(path.dirname(path.dirname(file)))).toThrow(/is missing, but backups in backup\/ show that a store was here/);
  });

  it('a missing database with its WAL left is damage', () => {
    const file = freshFile();
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(`${file}-wal`, 'x');
    expect(inspectStoreFile(file)).toMatchObject({ kind: 'missing', what: expect.stringContaining('evoloop.db-wal') });
  });

  it('a 0-byte database is damage and is not taken for a new store', () => {
    const file = filledStore();
    truncateSync(file, 0);
    const err = damageOf(file);
    expect(err?.damage.kind).toBe('empty');
    expect(err?.message).toMatch(/evoloop\.db is empty \(0 bytes\).*Fix: there is no good automatic backup/);
    expect(statSync(file).size).toBe(0); // nothing was written into it
  });

  it('a garbage header is damage', () => {
    const file = filledStore();
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.from('this is not a database at all'), 0, 29, 0);
    closeSync(fd);
    expect(damageOf(file)?.damage.kind).toBe('not-sqlite');
  });

  it('a database cut off mid-page or short of the pages its header counts is truncated', () => {
    const half = filledStore();
    truncateSync(half, Math.floor(statSync(half).size / 2 / 4096) * 4096);
    expect(damageOf(half)?.damage).toMatchObject({ kind: 'truncated', what: expect.stringMatching(/its header says \d+ pages/) });
    const ragged = filledStore();
    truncateSync(ragged, statSync(ragged).size - 100);
    expect(damageOf(ragged)?.damage.kind).toBe('truncated');
  });

  it('a healthy closed store passes', () => {
    expect(inspectStoreFile(filledStore())).toBeUndefined();
  });

  it('names the newest good backup and its time in the fix', () => {
    const file = filledStore();
    mkdirSync(backupFolder(file), { recursive: true });
    copyFileSync(file, path.join(backupFolder(file), 'evoloop-20240101T000000000Z.db'));
    writeFileSync(path.join(backupFolder(file), 'evoloop-20250101T000000000Z.db'), 'a damaged backup'); // newer, but fails its check
    truncateSync(file, 0);
    expect(damageOf(file)?.message).toMatch(
      /Fix: `evoloop doctor --repair .*` restores the newest good backup, \.evoloop\/backup\/evoloop-20240101T000000000Z\.db \(taken 2024-01-01 \d\d:00:00, \d+ days ago\)/,
    );
  });
});

describe('a lost write-ahead log', () => {
  /** A child process writes through the store and is killed -9 with the store open. */
  async function killedWriter(file: string): Promise<void> {
    const script = path.join(tmp, `writer-${n++}.ts`);
    const storeModule = path.join(path.dirname(fileURLToPath(import.meta.url)), 'store.ts');
    writeFileSync(
      script,
      `import { Store } from ${JSON.stringify(storeModule)};
const store = new Store(${JSON.stringify(file)});
store.createRun(${JSON.stringify({ ...RUN, id: 'killed' })});
for (let i = 0; i < 20; i++) store.addEvent('killed', 'notice', null, {});
process.stdout.write('written\\n');
setInterval(() => {}, 1000);
`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d) => String(d).includes('written') && resolve());
      child.on('exit', (code) => reject(new Error(`writer exited early (${code})`)));
    });
    child.kill('SIGKILL');
    await once(child, 'close');
  }

  it('after kill -9, deleting the WAL (a stale -shm left) is reported, not silently dropped', async () => {
    const file = filledStore();
    await killedWriter(file);
    expect(existsSync(`${file}-wal`)).toBe(true);
    rmSync(`${file}-wal`);
    expect(existsSync(`${file}-shm`)).toBe(true);
    const err = damageOf(file);
    expect(err?.damage.kind).toBe('lost-wal');
    expect(err?.message).toMatch(/evoloop\.db-wal is missing, but the evoloop process that was writing \(pid \d+, since .*\) never closed the store/);
    // Still reported on the next open: the evidence is in the main file, not in the -shm.
    expect(damageOf(file)?.damage.kind).toBe('lost-wal');
  });

  it('after kill -9 with the WAL intact, the writes are replayed and nothing is reported, then or later', async () => {
    const file = filledStore();
    await killedWriter(file);
    const store = new Store(file); // replays the WAL, forgets the dead session
    expect(store.getRun('killed')).toBeDefined();
    expect(store.events('killed')).toHaveLength(20);
    store.close(); // checkpoints and deletes the WAL
    expect(existsSync(`${file}-wal`)).toBe(false);
    expect(damageOf(file)).toBeUndefined();
  });

  it('a reader that never writes records no session', () => {
    const file = filledStore();
    const reader = new Store(file);
    reader.listRuns();
    expect(reader['db'].prepare('SELECT COUNT(*) FROM store_sessions').pluck().get()).toBe(0);
    reader.close();
  });
});

describe('read-only stores', () => {
  it('opens a closed store (no WAL, no -shm) from memory, and refuses writes', () => {
    const file = filledStore();
    const store = new Store(file, { readonly: true });
    expect(store.getRun('r1')?.id).toBe('r1');
    expect(existsSync(`${file}-shm`)).toBe(false); // nothing was created beside it
    let err: unknown;
    try {
      store.updateRun('r1', { status: 'finished' });
    } catch (e) {
      err = e;
    }
    expect(describeSqliteError(err)).toMatch(/cannot be written .*read-only\. Fix: make \.evoloop writable/);
    store.close();
  });
});

describe('describeSqliteError', () => {
  it('tells a damaged database in words and leaves other errors alone', () => {
    expect(describeSqliteError(Object.assign(new Error('database disk image is malformed'), { code: 'SQLITE_CORRUPT' }))).toMatch(
      /the store \(\.evoloop\/evoloop\.db\) is damaged \(SQLite: database disk image is malformed\)\. Fix: `evoloop doctor --repair/,
    );
    expect(describeSqliteError(new Error('other'))).toBeUndefined();
  });
});
