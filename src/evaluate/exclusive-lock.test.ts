import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exclusively, lockOwner, tryLock } from './exclusive-lock.js';

let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

/** A separate node process that takes the lock `times` times, holding it `holdMs`, logging "pid start|end ns". */
function contender(lock: string, log: string, times: number, holdMs: number) {
  const src = `
    const { exclusively } = await import(${JSON.stringify(new URL('./exclusive-lock.ts', import.meta.url).pathname)});
    const { appendFileSync } = await import('node:fs');
    for (let i = 0; i < ${times}; i++) {
      await exclusively(new AbortController().signal, async () => {
        appendFileSync(${JSON.stringify(log)}, process.pid + ' start ' + Date.now() + '\\n');
        await new Promise((r) => setTimeout(r, ${holdMs}));
        appendFileSync(${JSON.stringify(log)}, process.pid + ' end ' + Date.now() + '\\n');
      }, ${JSON.stringify(lock)});
    }`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', src], { stdio: 'inherit' });
  return new Promise<number | null>((r) => child.once('exit', r));
}

describe('the exclusive-stage lock', () => {
  it('two processes never hold it at once', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'evoloop-lock-'));
    const lock = path.join(dir, 'lock');
    const log = path.join(dir, 'log');
    writeFileSync(log, '');
    expect(await Promise.all([contender(lock, log, 3, 60), contender(lock, log, 3, 60)])).toEqual([0, 0]);
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(12);
    // Strictly alternating start/end of the same process: no two holders overlap.
    for (let i = 0; i < lines.length; i += 2) {
      const [pidA, a] = lines[i].split(' ');
      const [pidB, b] = lines[i + 1].split(' ');
      expect([a, b, pidA]).toEqual(['start', 'end', pidB]);
    }
    expect(new Set(lines.map((l) => l.split(' ')[0])).size).toBe(2);
  }, 30_000);

  it('a lock whose owner is gone (kill -9) is broken; a live owner is waited for', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'evoloop-lock-'));
    const lock = path.join(dir, 'lock');
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((r) => dead.once('exit', r));
    writeFileSync(lock, `${dead.pid} stale\n`);
    expect(lockOwner(lock)).toBeUndefined();
    const release = tryLock(lock);
    expect(release).toBeDefined();
    expect(lockOwner(lock)).toBe(process.pid);
    expect(tryLock(lock)).toBeUndefined(); // held by a live process (this one)
    const stop = new AbortController();
    const waiting = exclusively(stop.signal, async () => 'ran', lock);
    await new Promise((r) => setTimeout(r, 100));
    release!();
    expect(await waiting).toBe('ran');
    expect(lockOwner(lock)).toBeUndefined();
  });

  it('waiting stops when the run is stopped', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'evoloop-lock-'));
    const lock = path.join(dir, 'lock');
    const release = tryLock(lock)!;
    const stop = new AbortController();
    const waiting = exclusively(stop.signal, async () => 'ran', lock);
    stop.abort();
    await expect(waiting).rejects.toThrow(/stopped while waiting/);
    release();
  });
});
