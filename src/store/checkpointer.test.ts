import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_EVERY_MS } from './checkpointer.js';
import { Store } from './store.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'evoloop-checkpointer-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const freshFile = () => path.join(tmp, `s${n++}`, 'evoloop.db');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** About 12 MB of incompressible blobs: some 3,000 pages, past SQLite's default autocheckpoint of 1,000 but short of the writer's fallback. */
const writeBlobs = (store: Store) => {
  for (let i = 0; i < 100; i++) store.putBlob(randomBytes(60_000).toString('hex'));
};

describe('WAL checkpoints off the writer thread', () => {
  it('copies the log into the database while the writer goes on, without the writer checkpointing in a commit', async () => {
    const file = freshFile();
    const store = new Store(file);
    writeBlobs(store);
    // The commits alone did not checkpoint: the writer's fallback is 10,000 pages away.
    const before = statSync(file).size;
    expect(before).toBeLessThan(1_000_000);
    const deadline = Date.now() + 20 * CHECKPOINT_EVERY_MS;
    while (statSync(file).size < 12_000_000 && Date.now() < deadline) await sleep(CHECKPOINT_EVERY_MS / 2);
    expect(statSync(file).size).toBeGreaterThan(12_000_000);
    store.close();
  });

  it('a clean close still removes the WAL (lost-WAL detection relies on it) and another writer opens at once', () => {
    const file = freshFile();
    const store = new Store(file);
    writeBlobs(store);
    store.close();
    expect(existsSync(`${file}-wal`)).toBe(false);
    const again = new Store(file);
    expect(again.count('runs')).toBe(0);
    again.putBlob('x');
    again.close();
    expect(existsSync(`${file}-wal`)).toBe(false);
  });
});
