// WAL checkpoints off the writer's thread. SQLite's automatic checkpoint runs inside the
// commit that crosses wal_autocheckpoint pages, so every thousandth write or so pays for
// copying the whole log into the database: the decisions' p99 (bench/scale) was that
// checkpoint. Here a worker thread with its own connection runs a PASSIVE checkpoint every
// CHECKPOINT_EVERY_MS (it never blocks a reader or the writer), the writer's own automatic
// checkpoint stays as a far-off fallback (WRITER_AUTOCHECKPOINT_PAGES) for when the worker
// cannot keep up, and stop() closes the worker's connection synchronously, before the
// writer's close, so that close is still the last one and removes the WAL.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

export const CHECKPOINT_EVERY_MS = 200;
/** The writer's fallback: a log this long (4 KiB pages, about 40 MB) is checkpointed in the commit. */
export const WRITER_AUTOCHECKPOINT_PAGES = 10_000;

// The worker's state, shared: the writer may cancel a worker that has not opened its connection
// yet (no wait), otherwise it waits for CLOSED.
const [STARTING, OPEN, CLOSED, CANCELLED] = [0, 1, 2, 3];

/** The worker, as CommonJS source (eval): no separate file to resolve from src/ and from dist/. */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const [stop, state] = [new Int32Array(workerData.stop), new Int32Array(workerData.state)];
if (Atomics.compareExchange(state, 0, ${STARTING}, ${OPEN}) === ${STARTING}) {
  let db;
  try {
    db = new (require(workerData.sqlite))(workerData.file, { fileMustExist: true });
    db.pragma('busy_timeout = 0');
    while (Atomics.wait(stop, 0, 0, workerData.everyMs) === 'timed-out') {
      try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy: the next tick tries again */ }
    }
  } catch { /* the writer's fallback checkpoints do the work */ } finally {
    db?.close();
    Atomics.store(state, 0, ${CLOSED});
    Atomics.notify(state, 0);
  }
}
`;

export class Checkpointer {
  private readonly stopFlag = new Int32Array(new SharedArrayBuffer(4));
  private readonly state = new Int32Array(new SharedArrayBuffer(4));
  private readonly worker: Worker;

  constructor(file: string) {
    const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { file, sqlite, everyMs: CHECKPOINT_EVERY_MS, stop: this.stopFlag.buffer, state: this.state.buffer },
    });
    this.worker.unref();
  }

  /** Stops the worker; returns once its connection is closed (or was never opened). */
  stop(): void {
    Atomics.store(this.stopFlag, 0, 1);
    Atomics.notify(this.stopFlag, 0);
    if (Atomics.compareExchange(this.state, 0, STARTING, CANCELLED) === OPEN) Atomics.wait(this.state, 0, OPEN, 5000);
    void this.worker.terminate();
  }
}
