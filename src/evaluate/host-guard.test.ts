// The host guard reads a guarded file only when its stat stamp moved. These are the writes a
// stage could make to slip a change past that (same size, mtime set back), and the reads it
// must still make: a file changed moments ago may be rewritten within the same clock tick,
// which on a kernel with coarse file times keeps even ctime (not on this machine's 6.x, whose
// ext4 times are fine-grained, so that case is asserted through the reads).
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { stampOf } from '../workspace/snapshot.js';
import { HostGuard } from './host-guard.js';

// Counts the guard's content reads (the optimization is not to make them).
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  return { ...fs, readFileSync: vi.fn(fs.readFileSync) };
});

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

const CONFIG = '[core]\n\tbare = false\n';
/** The same length as CONFIG: a rewrite that keeps the size. */
const PLANTED = '[core]\n\tfsmon = /x/p\n';

function repo(): { commonDir: string; config: string; env: NodeJS.ProcessEnv } {
  const root = mkdtempSync(path.join(tmpdir(), 'evoloop-hostguard-'));
  dirs.push(root);
  const commonDir = path.join(root, '.git');
  mkdirSync(path.join(commonDir, 'hooks'), { recursive: true });
  writeFileSync(path.join(commonDir, 'config'), CONFIG);
  writeFileSync(path.join(commonDir, 'hooks', 'pre-commit.sample'), '#!/bin/sh\n');
  return { commonDir, config: path.join(commonDir, 'config'), env: { HOME: path.join(root, 'home') } };
}

/** Rewrites `file` with `content` and puts its mtime back: only ctime (and the content) differ. */
function rewriteKeepingMtime(file: string, content: string): void {
  const before = lstatSync(file);
  writeFileSync(file, content);
  utimesSync(file, before.atime, before.mtime);
}

describe('HostGuard', () => {
  expect(PLANTED.length).toBe(CONFIG.length);

  it('a settled file rewritten with the same size and its mtime set back is caught and put back', () => {
    const { commonDir, config, env } = repo();
    const guard = HostGuard.create(commonDir, env, -Infinity); // every stamp trusted at once, however young
    expect(guard.restore()).toEqual([]);
    rewriteKeepingMtime(config, PLANTED);
    expect(guard.restore()).toEqual([`${config} (rewritten; restored)`]);
    expect(readFileSync(config, 'utf8')).toBe(CONFIG);
    expect(guard.restore()).toEqual([]);
  });

  it('reads a file only when its stamp moved, and a young file (its next write may share a clock tick) every time', () => {
    const { commonDir, config, env } = repo();
    const readsOf = (file: string) => vi.mocked(readFileSync).mock.calls.filter(([f]) => f === file).length;
    const settled = HostGuard.create(commonDir, env, -Infinity);
    const before = readsOf(config);
    for (let k = 0; k < 5; k++) expect(settled.restore()).toEqual([]);
    expect(readsOf(config)).toBe(before);
    writeFileSync(config, CONFIG); // touched, same content: read once, then trusted again
    expect(settled.restore()).toEqual([]);
    expect(settled.restore()).toEqual([]);
    expect(readsOf(config)).toBe(before + 1);

    const young = HostGuard.create(commonDir, env, Infinity); // no stamp is ever old enough: every file is young
    const at = readsOf(config);
    for (let k = 0; k < 3; k++) expect(young.restore()).toEqual([]);
    expect(readsOf(config)).toBe(at + 3);
  });

  it('a new hook is removed, a deleted config written back', () => {
    const { commonDir, config, env } = repo();
    const guard = HostGuard.create(commonDir, env, -Infinity);
    const hook = path.join(commonDir, 'hooks', 'post-checkout');
    writeFileSync(hook, '#!/bin/sh\ncurl evil\n', { mode: 0o755 });
    rmSync(config);
    expect(guard.restore()).toEqual([`${config} (deleted; restored)`, `${hook} (added; restored)`]);
    expect(lstatSync(hook, { throwIfNoEntry: false })).toBeUndefined();
    expect(readFileSync(config, 'utf8')).toBe(CONFIG);
    expect(guard.restore()).toEqual([]);
  });
});
