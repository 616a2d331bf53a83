// The stat fingerprint that proves a worktree unchanged: every kind of change shows.
import { chmodSync, linkSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { allocatedBytes } from '../evaluate/disk-usage.js';
import { matchesSnapshot, provenBytes, takeSnapshot } from './snapshot.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'evoloop-snap-'));
  mkdirSync(path.join(root, 'lib'));
  writeFileSync(path.join(root, 'lib', 'a.txt'), 'aaaa\n');
  writeFileSync(path.join(root, 'b.txt'), 'b\n');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('takeSnapshot / matchesSnapshot', () => {
  it('lists every entry, and does not follow a link into what it points to', () => {
    symlinkSync(tmpdir(), path.join(root, 'out'));
    expect([...takeSnapshot(root).keys()].sort()).toEqual(['b.txt', 'lib', 'lib/a.txt', 'out']);
  });

  const changes: [string, () => void][] = [
    ['a same-size rewrite', () => writeFileSync(path.join(root, 'lib', 'a.txt'), 'bbbb\n')],
    ['a chmod of a file', () => chmodSync(path.join(root, 'b.txt'), 0o755)],
    ['a chmod of a folder', () => chmodSync(path.join(root, 'lib'), 0o700)],
    [
      'a folder swapped for a copy',
      () => {
        renameSync(path.join(root, 'lib'), path.join(root, 'old'));
        mkdirSync(path.join(root, 'lib'));
        renameSync(path.join(root, 'old', 'a.txt'), path.join(root, 'lib', 'a.txt'));
        rmSync(path.join(root, 'old'), { recursive: true });
      },
    ],
    ['an added entry', () => writeFileSync(path.join(root, 'lib', '.hidden'), '')],
    ['a removed entry', () => rmSync(path.join(root, 'b.txt'))],
    [
      'a file replaced by a link to it',
      () => {
        rmSync(path.join(root, 'b.txt'));
        symlinkSync(path.join(root, 'lib', 'a.txt'), path.join(root, 'b.txt'));
      },
    ],
  ];
  for (const [what, change] of changes) {
    it(`sees ${what}`, () => {
      const before = takeSnapshot(root);
      expect(matchesSnapshot(root, before)).toBe(true);
      change();
      expect(matchesSnapshot(root, before)).toBe(false);
    });
  }

  it('counts what a matching tree takes on disk as allocatedBytes does, and does not vouch for hard links', () => {
    writeFileSync(path.join(root, 'big.bin'), Buffer.alloc(100_000, 1));
    const before = takeSnapshot(root);
    expect(provenBytes(root, before)).toBe(allocatedBytes([root]));
    writeFileSync(path.join(root, 'b.txt'), 'changed');
    expect(provenBytes(root, before)).toBe(false);
    linkSync(path.join(root, 'big.bin'), path.join(root, 'again.bin'));
    expect(provenBytes(root, takeSnapshot(root))).toBeUndefined();
  });

  it('a folder that cannot be listed never matches', () => {
    const before = takeSnapshot(root);
    rmSync(root, { recursive: true });
    expect(takeSnapshot(root)).toEqual(new Map([['/', 'unreadable']]));
    expect(matchesSnapshot(root, before)).toBe(false);
  });
});
