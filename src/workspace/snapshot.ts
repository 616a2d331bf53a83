// A stat fingerprint of a whole worktree, so a pooled worktree can be put back to the
// base without running git when nothing but evoloop's own files changed in it.
import { lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** Path (relative to the worktree) → "size:mtime:ctime:inode", or "dir". */
export type Snapshot = Map<string, string>;

/** Beyond this many entries a walk costs more than git's index-based check: use git. */
const MAX_ENTRIES = 20_000;

export function stamp(file: string): string | undefined {
  try {
    const st = lstatSync(file, { bigint: true });
    return st.isDirectory() ? 'dir' : `${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/** Every entry under root except git's own `.git` link; undefined when the tree is too large. */
export function takeSnapshot(root: string): Snapshot | undefined {
  const out: Snapshot = new Map();
  const walk = (dir: string, rel: string): boolean => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (rel === '' && entry.name === '.git') continue;
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      const abs = path.join(dir, entry.name);
      out.set(relPath, stamp(abs)!);
      if (out.size > MAX_ENTRIES) return false;
      if (entry.isDirectory() && !walk(abs, relPath)) return false;
    }
    return true;
  };
  return walk(root, '') ? out : undefined;
}

export function sameSnapshot(a: Snapshot, b: Snapshot): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}
