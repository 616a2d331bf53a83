// The host-wide lock behind `exclusive: true` stages: at most one such stage runs at a time on
// a machine, whichever evoloop process (a run's local slots, any number of workers) runs it, so
// concurrent candidates do not distort each other's timings (a worker holds its clone the same
// way). A lock file created with O_EXCL under the OS temp folder holds the owner's pid; a lock
// whose owner is gone (kill -9) is stale and broken, under a second O_EXCL file so two waiters
// never both break it.
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { processAlive } from '../core/process-alive.js';

const POLL_MS = 20;
/** A breaker file older than this was left by a process that died while breaking a lock. */
const BREAKER_STALE_MS = 10_000;

export const exclusiveLockFile = () => path.join(tmpdir(), 'evoloop-exclusive.lock');

/** Runs `fn` while holding the host's exclusive-stage lock; waits for it (until `signal` aborts). */
export async function exclusively<T>(signal: AbortSignal, fn: () => Promise<T>, file = exclusiveLockFile()): Promise<T> {
  let release: (() => void) | undefined;
  while (!(release = tryLock(file))) {
    if (signal.aborted) throw new Error('run stopped while waiting for the exclusive-stage lock');
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  try {
    return await fn();
  } finally {
    release();
  }
}

/** Takes the lock `file` for this process if it is free (or its owner is gone); returns its release, else undefined. */
export function tryLock(file: string): (() => void) | undefined {
  const token = `${process.pid} ${randomBytes(6).toString('hex')}\n`;
  if (!tryCreate(file, token)) {
    const owner = ownerPid(file);
    if (owner === undefined || processAlive(owner)) return undefined;
    breakStale(file, owner);
    if (!tryCreate(file, token)) return undefined;
  }
  // Only our own lock is removed (a stale-lock breaker may have replaced a lock we lost).
  return () => {
    if (readOrUndefined(file) === token) unlinkSync(file);
  };
}

/** The pid holding the lock `file`, when a live process does. */
export function lockOwner(file: string): number | undefined {
  const owner = ownerPid(file);
  return owner !== undefined && processAlive(owner) ? owner : undefined;
}

function tryCreate(file: string, content: string): boolean {
  try {
    const fd = openSync(file, 'wx', 0o644);
    writeSync(fd, content);
    closeSync(fd);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

function readOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The pid in a lock file; undefined while its owner is still writing it (or it is gone). */
function ownerPid(file: string): number | undefined {
  const pid = Number.parseInt(readOrUndefined(file) ?? '', 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function breakStale(file: string, deadPid: number): void {
  const breaker = `${file}.break`;
  if (!tryCreate(breaker, `${process.pid}\n`)) {
    try {
      if (Date.now() - statSync(breaker).mtimeMs > BREAKER_STALE_MS) unlinkSync(breaker);
    } catch {
      // Gone already: its owner finished breaking.
    }
    return;
  }
  try {
    // Checked again under the breaker: the lock may have been broken and retaken since.
    if (ownerPid(file) === deadPid) unlinkSync(file);
  } finally {
    unlinkSync(breaker);
  }
}
