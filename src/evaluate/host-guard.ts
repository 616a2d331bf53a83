// The files outside the worktree that make git run a program: the repository's config, hooks
// and attributes, and the user's git config. A sandboxed stage cannot see them; without a
// sandbox a candidate could write `core.fsmonitor = <its program>` into .git/config and have
// it run as the user at the next `git status`. Their content at the start of the run is the
// reference: after every stage, anything changed is put back and the stage is `tampered`.
// A file is read only when its stat stamp (snapshot.ts: size, mtime, ctime, inode, mode) moved
// since it was last seen: ctime cannot be set back, so no write hides from the stamp, except
// one in the same clock tick as the write before it (file times are coarse). So, as git does
// for its index, a stamp younger than SETTLED_MS is never trusted and such a file is read.
import { lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { stampOf } from '../workspace/snapshot.js';

/** How old a file's last change must be before its stamp alone vouches for its content. */
const SETTLED_MS = 2000;

/** Absolute path → content and mode, or null when the file did not exist. */
type Contents = Map<string, { data: Buffer; mode: number } | null>;

export class HostGuard {
  private constructor(
    private readonly reference: Contents,
    private readonly hookDirs: string[],
    /** Path → its stamp when last seen with the reference content (undefined: absent, as the reference has it). */
    private readonly seen: Map<string, string | undefined>,
    private readonly settledMs: number,
  ) {}

  /** The repository's shared git folder (`git rev-parse --git-common-dir`, absolute); `settledMs` only for tests. */
  static create(commonDir: string, env: NodeJS.ProcessEnv = process.env, settledMs = SETTLED_MS): HostGuard {
    const home = env.HOME ?? homedir();
    const xdg = env.XDG_CONFIG_HOME ?? path.join(home, '.config');
    const files = [
      path.join(commonDir, 'config'),
      path.join(commonDir, 'config.worktree'),
      path.join(commonDir, 'info', 'attributes'),
      path.join(home, '.gitconfig'),
      path.join(xdg, 'git', 'config'),
      path.join(xdg, 'git', 'attributes'),
    ];
    const hookDirs = [path.join(commonDir, 'hooks')];
    const reference: Contents = new Map();
    const seen = new Map<string, string | undefined>();
    for (const f of [...files, ...hookDirs.flatMap(listFiles)]) {
      const s = settledStamp(f, settledMs);
      reference.set(f, read(f));
      if (s.settled) seen.set(f, s.stamp);
    }
    return new HostGuard(reference, hookDirs, seen, settledMs);
  }

  /**
   * Puts back every guarded file that differs from the reference (removing new hooks) and
   * returns what had changed, described for a reason line; empty when nothing did.
   */
  restore(): string[] {
    const changed: string[] = [];
    const now = new Set([...this.reference.keys(), ...this.hookDirs.flatMap(listFiles)]);
    for (const file of now) {
      const s = settledStamp(file, this.settledMs);
      if (this.seen.has(file) && this.seen.get(file) === s.stamp) continue;
      const want = this.reference.get(file) ?? null;
      const have = read(file);
      if (have === null ? want === null : want !== null && have.data.equals(want.data) && have.mode === want.mode) {
        if (s.settled) this.seen.set(file, s.stamp);
        else this.seen.delete(file);
        continue;
      }
      this.seen.delete(file);
      changed.push(`${file} (${want === null ? 'added' : have === null ? 'deleted' : 'rewritten'}; restored)`);
      try {
        rmSync(file, { force: true, recursive: true });
        if (want !== null) {
          mkdirSync(path.dirname(file), { recursive: true });
          writeFileSync(file, want.data, { mode: want.mode & 0o7777 });
        }
      } catch {
        // Reported all the same; the user is told to look at it.
      }
    }
    return changed.sort();
  }
}

/** The file's stamp (undefined: absent) taken before its content is read, and whether it is old enough to trust. */
function settledStamp(file: string, settledMs: number): { stamp: string | undefined; settled: boolean } {
  const st = lstatSync(file, { bigint: true, throwIfNoEntry: false });
  if (!st) return { stamp: undefined, settled: true };
  return { stamp: stampOf(st), settled: Date.now() - Number(st.ctimeMs) > settledMs };
}

function read(file: string): { data: Buffer; mode: number } | null {
  try {
    // A symlink planted in place of a config file is a change too: compare the link, not its target.
    const st = lstatSync(file);
    return { data: st.isFile() ? readFileSync(file) : Buffer.alloc(0), mode: st.mode };
  } catch {
    return null;
  }
}

function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir).map((n) => path.join(dir, n));
  } catch {
    return [];
  }
}
