// A stat fingerprint of a whole worktree: what proves a pooled worktree still exactly the
// tree evoloop left, without reading a file. Links are never followed.
import { lstatSync, readdirSync, type BigIntStats } from 'node:fs';
import path from 'node:path';

/** Path (relative to the root, `/`-separated) → its stamp. */
export type Snapshot = Map<string, string>;

/**
 * What changes whenever an entry could have: type and mode, and for non-folders size, mtime,
 * ctime and inode (ctime cannot be set back by a process, so a rewrite always shows). A
 * folder's own inode and mode count; its entries are stamped on their own.
 */
export function stampOf(st: BigIntStats): string {
  return st.isDirectory() ? `d${st.mode.toString(8)}:${st.ino}` : `${st.mode.toString(8)}:${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.ino}`;
}

export const isFolderStamp = (s: string) => s.startsWith('d');

export function stamp(file: string): string | undefined {
  const st = lstatSync(file, { bigint: true, throwIfNoEntry: false });
  return st && stampOf(st);
}

/** A folder that cannot be listed shows as `<its path>/` (root: `/`), so it never matches a readable tree. */
const UNREADABLE = 'unreadable';

/** Every entry under root, links not followed. */
export function takeSnapshot(root: string): Snapshot {
  const out: Snapshot = new Map();
  const walk = (dir: string, rel: string) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      out.set(`${rel}/`, UNREADABLE);
      return;
    }
    for (const name of names) {
      const relPath = rel ? `${rel}/${name}` : name;
      const abs = path.join(dir, name);
      const st = lstatSync(abs, { bigint: true, throwIfNoEntry: false });
      if (!st) continue; // gone meanwhile
      out.set(relPath, stampOf(st));
      if (st.isDirectory()) walk(abs, relPath);
    }
  };
  walk(root, '');
  return out;
}

/** Whether the tree under root is entry for entry `snapshot`; stops at the first difference. */
export function matchesSnapshot(root: string, snapshot: Snapshot): boolean {
  return provenBytes(root, snapshot) !== false;
}

/**
 * Like matchesSnapshot, and what the tree takes on disk when it matches: the same figure
 * as disk-usage.ts's allocatedBytes([root]) (st_blocks × 512, the root folder included),
 * read from the same lstat calls, so the proof of a worktree also gives the disk baseline
 * of the stage that runs next. undefined: it matches, but holds a file with more than one
 * link (counted once by allocatedBytes; not worth tracking here). false: it does not match.
 */
export function provenBytes(root: string, snapshot: Snapshot): number | undefined | false {
  let seen = 0;
  let bytes = 0;
  let linked = false;
  const walk = (dir: string, rel: string): boolean => {
    for (const name of readdirSync(dir)) {
      const relPath = rel ? `${rel}/${name}` : name;
      const abs = path.join(dir, name);
      const st = lstatSync(abs, { bigint: true });
      if (snapshot.get(relPath) !== stampOf(st)) return false;
      seen++;
      bytes += Number(st.blocks) * 512;
      if (!st.isDirectory() && st.nlink > 1n) linked = true;
      if (st.isDirectory() && !walk(abs, relPath)) return false;
    }
    return true;
  };
  try {
    const top = lstatSync(root, { bigint: true });
    if (!top.isDirectory() || !walk(root, '') || seen !== snapshot.size) return false;
    return linked ? undefined : bytes + Number(top.blocks) * 512;
  } catch {
    return false;
  }
}

export function sameSnapshot(a: Snapshot, b: Snapshot): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}
