import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allocatedBytes } from './disk-usage.js';

const MB = 1024 * 1024;
const root = mkdtempSync(join(tmpdir(), 'evoloop-disk-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function folder(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

describe('allocatedBytes', () => {
  it('counts what files really occupy: a preallocated file in full, a sparse one hardly at all', () => {
    const dir = folder('kinds');
    const empty = allocatedBytes([dir]);
    execFileSync('fallocate', ['-l', '8M', join(dir, 'preallocated')]);
    execFileSync('truncate', ['-s', '1G', join(dir, 'sparse')]);
    const used = allocatedBytes([dir]) - empty;
    expect(used).toBeGreaterThanOrEqual(8 * MB);
    expect(used).toBeLessThan(9 * MB);
  });

  it('walks nested folders, counts a hard link once and does not follow symlinks', () => {
    const dir = folder('links');
    const other = folder('elsewhere');
    mkdirSync(join(dir, 'a/b/c'), { recursive: true });
    writeFileSync(join(dir, 'a/b/c/data'), Buffer.alloc(2 * MB, 1));
    const once = allocatedBytes([dir]);
    linkSync(join(dir, 'a/b/c/data'), join(dir, 'hardlink'));
    execFileSync('fallocate', ['-l', '16M', join(other, 'big')]);
    symlinkSync(other, join(dir, 'to-elsewhere'));
    expect(once).toBeGreaterThanOrEqual(2 * MB);
    expect(allocatedBytes([dir]) - once).toBeLessThan(64 * 1024);
  });

  it('sums several folders and stops early once past the bound', () => {
    const a = folder('sum-a');
    const b = folder('sum-b');
    for (let i = 0; i < 4; i++) execFileSync('fallocate', ['-l', '1M', join(a, `f${i}`)]);
    execFileSync('fallocate', ['-l', '4M', join(b, 'f')]);
    expect(allocatedBytes([a, b])).toBeGreaterThanOrEqual(8 * MB);
    const bounded = allocatedBytes([a, b], MB);
    expect(bounded).toBeGreaterThan(MB);
    expect(bounded).toBeLessThan(8 * MB);
    expect(allocatedBytes([join(root, 'missing')])).toBe(0);
  });
});
