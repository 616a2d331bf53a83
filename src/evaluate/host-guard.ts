// The files outside the worktree that make git run a program: the repository's config, hooks
// and attributes, and the user's git config. A sandboxed stage cannot see them; without a
// sandbox a candidate could write `core.fsmonitor = <its program>` into .git/config and have
// it run as the user at the next `git status`. Their content at the start of the run is the
// reference: after every stage, anything changed is put back and the stage is `tampered`.
import { lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/** Absolute path → content and mode, or null when the file did not exist. */
type Contents = Map<string, { data: Buffer; mode: number } | null>;

export class HostGuard {
  private constructor(
    private readonly reference: Contents,
    private readonly hookDirs: string[],
  ) {}

  /** The repository's shared git folder (`git rev-parse --git-common-dir`, absolute). */
  static create(commonDir: string, env: NodeJS.ProcessEnv = process.env): HostGuard {
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
    for (const f of [...files, ...hookDirs.flatMap(listFiles)]) reference.set(f, read(f));
    return new HostGuard(reference, hookDirs);
  }

  /**
   * Puts back every guarded file that differs from the reference (removing new hooks) and
   * returns what had changed, described for a reason line; empty when nothing did.
   */
  restore(): string[] {
    const changed: string[] = [];
    const now = new Set([...this.reference.keys(), ...this.hookDirs.flatMap(listFiles)]);
    for (const file of now) {
      const want = this.reference.get(file) ?? null;
      const have = read(file);
      if (have === null ? want === null : want !== null && have.data.equals(want.data) && have.mode === want.mode) continue;
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
