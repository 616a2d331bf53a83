// The processes of one stage as /proc shows them, for machines where no cgroup can hold
// them: descendants of the stage's leader (ancestry is recorded at every scan, so a double
// fork that reparents a daemon to init is still known if a scan saw its parent), members of
// the leader's process group, and any process carrying the stage's token in its environment
// (inherited through setsid, double forks and chdir alike).
// What escapes: a process that detaches between two scans AND drops the token from its
// environment (exec with a scrubbed environment); only a cgroup or a pid namespace holds it.
import { readdirSync, readFileSync } from 'node:fs';
import { STAGE_TOKEN_ENV } from './stage-token.js';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgrp: number;
  /** Start time in clock ticks: with the pid, it identifies a process across scans. */
  start: number;
}

/** Every live (non-zombie) process but this one. */
export function listProcesses(): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid pgrp ..."; comm may contain spaces and parentheses.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (f[0] === 'Z' || f[0] === 'X') continue;
    out.push({ pid: Number(entry), ppid: Number(f[1]), pgrp: Number(f[2]), start: Number(f[19]) });
  }
  return out;
}

/** The EVOLOOP_STAGE_TOKEN a process started with, if any (unreadable processes are not ours). */
export function tokenOf(pid: number): string | undefined {
  try {
    const prefix = `${STAGE_TOKEN_ENV}=`;
    const entry = readFileSync(`/proc/${pid}/environ`, 'latin1')
      .split('\0')
      .find((e) => e.startsWith(prefix));
    return entry?.slice(prefix.length);
  } catch {
    return undefined;
  }
}

const key = (p: ProcessInfo) => `${p.pid}:${p.start}`;

export class StageProcesses {
  /** Processes known to belong to the stage, by pid and start time. */
  private readonly known = new Set<string>();
  /** Processes already found not to carry the token (their environment cannot change). */
  private readonly foreign = new Set<string>();

  constructor(
    private readonly token: string,
    private readonly leaderPid: number,
  ) {}

  /** The stage's live processes now; remembers them so their descendants stay known after they exit. */
  scan(): ProcessInfo[] {
    const all = listProcesses();
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
    for (const k of this.foreign) if (!alive.has(k)) this.foreign.delete(k);
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
    if (this.foreign.has(key(p))) return false;
    if (tokenOf(p.pid) === this.token) return true;
    this.foreign.add(key(p));
    return false;
  }
}

export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}
