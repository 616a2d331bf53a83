// Verifier integrity: the protected files (verifier, its data, the config) as the base
// commit has them. In the sandbox they are laid read-only over the worktree, so the
// candidate runs against the base's verifier whatever its tree holds; in every case their
// content is checked after each stage, and a candidate that changed one is `tampered`.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ReadOnlyBind } from './sandbox.js';

interface Guarded {
  path: string;
  hash: string;
  copy: string;
}

export class IntegrityGuard {
  /**
   * Last seen (size, mtime, ctime, inode) per worktree file, so unchanged files are not
   * re-hashed. ctime is what makes this safe: a candidate can put back size and mtime
   * (`touch -r`), but any write moves ctime and no user call can set it.
   */
  private readonly seen = new Map<string, string>();

  private constructor(private readonly files: Guarded[]) {}

  /**
   * @param base problem-relative path → content at the base commit, for every protected file
   * @param copyDir where read-only copies for the sandbox go (outside every worktree)
   */
  static create(base: Record<string, string>, copyDir: string): IntegrityGuard {
    const files = Object.entries(base).map(([p, content]) => {
      const copy = path.join(copyDir, p);
      mkdirSync(path.dirname(copy), { recursive: true });
      writeFileSync(copy, content);
      return { path: p, hash: sha(content), copy };
    });
    return new IntegrityGuard(files);
  }

  get paths(): string[] {
    return this.files.map((f) => f.path);
  }

  /** Read-only binds of the base's protected files over a worktree's problem folder. */
  binds(problemDir: string): ReadOnlyBind[] {
    return this.files.map((f) => ({ source: f.copy, target: path.join(problemDir, f.path) }));
  }

  /** Protected files whose content in `problemDir` differs from the base (or that are gone). */
  changed(problemDir: string): string[] {
    const out: string[] = [];
    for (const f of this.files) {
      const file = path.join(problemDir, f.path);
      let stamp: string;
      try {
        const st = statSync(file, { bigint: true });
        stamp = `${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.ino}`;
      } catch {
        out.push(`${f.path} (deleted)`);
        this.seen.delete(file);
        continue;
      }
      if (this.seen.get(file) === stamp) continue;
      const same = (() => {
        try {
          return sha(readFileSync(file)) === f.hash;
        } catch {
          return false;
        }
      })();
      if (same) this.seen.set(file, stamp);
      else {
        this.seen.delete(file);
        out.push(f.path);
      }
    }
    return out;
  }
}

function sha(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}
