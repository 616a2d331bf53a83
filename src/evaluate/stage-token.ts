// A stage's token names everything the stage leaves behind: its cgroup, and the
// EVOLOOP_STAGE_TOKEN variable each of its processes inherits (through setsid and double
// forks alike). It embeds the evoloop process that ran the stage — pid and start time, so a
// reused pid is not taken for it — which lets the next run tell an orphan from a live stage,
// and its scope (a hash of the problem's state folder), so that a run sweeps the orphans of
// its own problem and leaves other problems' to theirs.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const STAGE_TOKEN_ENV = 'EVOLOOP_STAGE_TOKEN';

const TOKEN = /^evoloop-(\d+)-(\d+)-([0-9a-f]{8})-[0-9a-f]{12}$/;

/** The scope of the stages of a problem whose state folder is `stateDir` ('' for stages outside any problem). */
export function stageScope(stateDir: string): string {
  return createHash('sha256')
    .update(stateDir && resolve(stateDir))
    .digest('hex')
    .slice(0, 8);
}

export function newStageToken(scope = stageScope('')): string {
  ownStart ??= startTime(process.pid);
  return `evoloop-${process.pid}-${ownStart}-${scope}-${randomBytes(6).toString('hex')}`;
}

/** This process's start time: it never changes, so /proc is read once. */
let ownStart: number | undefined;

/** Whether `name` is a stage token (of `scope`, when given). */
export function isStageToken(name: string, scope?: string): boolean {
  const m = TOKEN.exec(name);
  return m !== null && (scope === undefined || m[3] === scope);
}

/** Whether the evoloop process that made this token has exited (its pid is gone or now names another process). */
export function tokenOwnerGone(token: string): boolean {
  const m = TOKEN.exec(token);
  if (!m) return false;
  return startTime(Number(m[1])) !== Number(m[2]);
}

/** When a live process started (field 22 of /proc/PID/stat, clock ticks since boot); undefined once it is gone or a zombie. */
export function startTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "pid (comm)": state is field 3, starttime field 22.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' || fields[0] === 'X' ? undefined : Number(fields[19]);
  } catch {
    return undefined;
  }
}
