// The processes of one stage as /proc shows them, for machines where no cgroup can hold
// them: descendants of the stage's leader (ancestry is recorded at every scan, so a double
// fork that reparents a daemon to init is still known if a scan saw its parent), members of
// the leader's process group, and any process carrying the stage's token in its environment
// (inherited through setsid, double forks and chdir alike).
// What escapes: a process that detaches between two scans AND drops the token from its
// environment (exec with a scrubbed environment); only a cgroup or a pid namespace holds it.
import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { STAGE_TOKEN_ENV } from './stage-token.js';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgrp: number;
  /** Start time in clock ticks: with the pid, it identifies a process across scans. */
  start: number;
}

/**
 * Every live (non-zombie) process but this one. With `startedAfter`, only those that may have
 * started since that cursor: the others' stat files are not even read (a scan otherwise costs
 * in proportion to every process on the machine, at every stage's end).
 */
export function listProcesses(startedAfter?: PidCursor): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  const entries = readdirSync('/proc');
  // Read after the listing, so that every process it holds was started before this cursor.
  const maybeNew = startedAfter && pidsSince(startedAfter, pidCursor());
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid || (maybeNew && !maybeNew(Number(entry)))) continue;
    const stat = procStat(entry);
    if (stat === undefined) continue; // exited meanwhile
    // "pid (comm) state ppid pgrp ..."; comm may contain spaces and parentheses.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (f[0] === 'Z' || f[0] === 'X') continue;
    out.push({ pid: Number(entry), ppid: Number(f[1]), pgrp: Number(f[2]), start: Number(f[19]) });
  }
  return out;
}

/** Where the kernel's pid allocation stands: the last pid it gave out, forks since boot, and tasks alive (all of them hold a pid). */
export interface PidCursor {
  lastPid: number;
  forks: number;
  tasks: number;
}

export function pidCursor(): PidCursor | undefined {
  try {
    // "0.20 0.18 0.12 1/80 11206": the last field is the last pid given out, the one before it running/all tasks.
    const fields = readFileSync('/proc/loadavg', 'latin1').trim().split(' ');
    const lastPid = Number(fields[4]);
    const tasks = Number(fields[3]?.split('/')[1]);
    const forks = Number(/^processes (\d+)$/m.exec(readFileSync('/proc/stat', 'latin1'))?.[1]);
    return [lastPid, tasks, forks].every(Number.isSafeInteger) ? { lastPid, forks, tasks } : undefined;
  } catch {
    return undefined;
  }
}

/** Pids below this are never given out again once the allocator wraps (the kernel's RESERVED_PIDS). */
const RESERVED_PIDS = 300;
let pidMax: number | undefined;

/**
 * Which pids can belong to a process started between `before` and `now`, or undefined when any
 * can. The kernel hands out pids in increasing order, wrapping at pid_max, so a new process's
 * pid lies after `before.lastPid` and at or before `now.lastPid`, going round once at most —
 * unless the allocator may have lapped: it moves one step per fork (threads included) and one
 * per pid it skips because it is in use — by a task alive at `before` or forked since — so it
 * cannot lap while twice the forks plus the tasks alive at `before` stay under pid_max. Old
 * processes inside the range are harmless: they are read like any other.
 */
export function pidsSince(before: PidCursor, now: PidCursor | undefined, max = (pidMax ??= readPidMax())): ((pid: number) => boolean) | undefined {
  if (!now || !(max > 0) || 2 * (now.forks - before.forks) + before.tasks >= max - RESERVED_PIDS) return undefined;
  const from = before.lastPid;
  const to = now.lastPid;
  return to >= from ? (pid) => pid > from && pid <= to : (pid) => pid > from || pid <= to;
}

function readPidMax(): number {
  try {
    return Number(readFileSync('/proc/sys/kernel/pid_max', 'latin1').trim());
  } catch {
    return 0; // unknown: every process is read
  }
}

const statBuffer = Buffer.alloc(4096);

/** /proc/<pid>/stat (a line well under 4 KiB), read into one reused buffer: a scan reads one per process on the machine. */
export function procStat(pid: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(`/proc/${pid}/stat`, 'r');
  } catch {
    return undefined;
  }
  try {
    return statBuffer.toString('latin1', 0, readSync(fd, statBuffer, 0, statBuffer.length, 0));
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Clock ticks since boot now, as processes' start times count them (USER_HZ: 100 a second), less a second for rounding. */
export function bootTicksAgo(seconds = 1): number {
  try {
    return Math.max(0, Math.floor((Number(readFileSync('/proc/uptime', 'latin1').split(' ')[0]) - seconds) * 100));
  } catch {
    return 0; // unknown: every process is looked at
  }
}

/** The EVOLOOP_STAGE_TOKEN a process started with, if any (unreadable processes are not ours). */
export function tokenOf(pid: number): string | undefined {
  return readToken(pid) ?? undefined;
}

/** The token in a process's environment, null when it has none, undefined when it cannot be read. */
function readToken(pid: number): string | null | undefined {
  try {
    const prefix = `${STAGE_TOKEN_ENV}=`;
    const entry = readFileSync(`/proc/${pid}/environ`, 'latin1')
      .split('\0')
      .find((e) => e.startsWith(prefix));
    return entry?.slice(prefix.length) ?? null;
  } catch {
    return undefined;
  }
}

const key = (p: ProcessInfo) => `${p.pid}:${p.start}`;

/**
 * The token each process seen by a scan carries (null: none), by pid and start time, shared
 * by every stage of this evoloop so that a scan reads the environment of new processes only,
 * not of the whole machine again. Why a cached answer cannot hide a stage's process: a
 * process gets a token in its environment only at fork (a copy of its parent's, read fresh
 * since its key is new) or at exec. A process seen without a token that later execs with one
 * must have been handed it by the stage (a descendant: found through its ancestry like any
 * process that dropped the token) or learned it — and a process that puts a token into its
 * own environment only gets itself killed, which no candidate gains from. One seen with a
 * token keeps it, even after an exec that drops it: the cache only ever answers "theirs"
 * more often. Unreadable environments are not cached.
 */
const carried = new Map<string, string | null>();

export class StageProcesses {
  /** Processes known to belong to the stage, by pid and start time. */
  private readonly known = new Set<string>();

  /**
   * @param since clock ticks since boot (as /proc/<pid>/stat's start time) at some moment before
   *   the stage was spawned: a process started earlier cannot have been given the stage's token
   *   (it did not exist yet), so its environment is not read. (One that puts the token there by
   *   an exec later would only get itself killed.) 0: read every process's.
   * @param pidsBefore where pid allocation stood before the stage was spawned: only processes
   *   started since can be the stage's, so only their stat files are read (pidsSince).
   */
  constructor(
    private readonly token: string,
    /** Undefined when it never became known (its launcher died first): the token still finds the stage. */
    private readonly leaderPid: number | undefined,
    private readonly since = 0,
    pidsBefore?: PidCursor,
  ) {
    // A cursor the leader's own pid does not fit (a /proc of another pid namespace) would hide the stage; without a leader, nothing proves it fits.
    const fits = pidsBefore && leaderPid !== undefined && pidsSince(pidsBefore, pidCursor())?.(leaderPid);
    this.pidsBefore = fits ? pidsBefore : undefined;
  }

  private readonly pidsBefore?: PidCursor;

  /** The stage's live processes now; remembers them so their descendants stay known after they exit. */
  scan(): ProcessInfo[] {
    const all = listProcesses(this.pidsBefore);
    const children = new Map<number, ProcessInfo[]>();
    for (const p of all) {
      const siblings = children.get(p.ppid);
      if (siblings) siblings.push(p);
      else children.set(p.ppid, [p]);
    }
    const queue = all.filter((p) => p.pid === this.leaderPid || p.pgrp === this.leaderPid || this.known.has(key(p)) || this.carriesToken(p));
    const members = new Map<string, ProcessInfo>();
    while (queue.length > 0) {
      const p = queue.pop()!;
      if (members.has(key(p))) continue;
      members.set(key(p), p);
      this.known.add(key(p));
      queue.push(...(children.get(p.pid) ?? []));
    }
    const alive = new Set(all.map(key));
    for (const k of carried.keys()) if (!alive.has(k)) carried.delete(k);
    return [...members.values()];
  }

  /** SIGKILLs every process of the stage until none is left (forks racing the kill are caught on the next pass). */
  async killAll(): Promise<void> {
    for (let pass = 0; pass < 100; pass++) {
      const members = this.scan();
      if (members.length === 0) return;
      for (const p of members) signal(p.pid, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private carriesToken(p: ProcessInfo): boolean {
    if (p.start < this.since) return false;
    let token = carried.get(key(p));
    if (token === undefined) {
      token = readToken(p.pid);
      if (token !== undefined) carried.set(key(p), token);
    }
    return token === this.token;
  }
}

export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}
