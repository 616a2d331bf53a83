// Runs a command as the leader of its own process group and guarantees the whole
// tree is gone when the promise settles: at the timeout, on abort, on too much
// output, and also after a normal exit (a stage's leftover background processes
// would otherwise hold its pipes open and live on).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface TreeOptions {
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  /** Bytes kept per stream: the first half and the last half. */
  maxOutputBytes: number;
  /** Total bytes (both streams) after which the tree is killed. */
  killAfterOutputBytes: number;
  signal?: AbortSignal;
  /** Extra cleanup for processes that left the group (e.g. a pids cgroup). */
  killStragglers?: () => Promise<void>;
  /** Called synchronously when the leader exits, before anything left behind is killed. */
  onExit?: () => void;
}

export interface TreeResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Why we ended it, if we did. */
  killedFor?: 'timeout' | 'output-limit' | 'abort';
  spawnError?: Error;
  stdout: string;
  stderr: string;
  durationMs: number;
}

const KILL_GRACE_MS = 500;
/** How long to wait for pipes to close once the tree has been SIGKILLed. */
const CLOSE_WAIT_MS = 1000;

export function runProcessTree(argv: string[], opts: TreeOptions): Promise<TreeResult> {
  const started = Date.now();
  const stdout = new CappedOutput(opts.maxOutputBytes);
  const stderr = new CappedOutput(opts.maxOutputBytes);
  return new Promise((done) => {
    let killedFor: TreeResult['killedFor'];
    let spawnError: Error | undefined;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let killing: Promise<void> | undefined;
    let finished = false;

    const child = spawn(argv[0], argv.slice(1), { cwd: opts.cwd, env: opts.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const killTree = (why?: TreeResult['killedFor']) => {
      if (!exit) killedFor ??= why; // after the leader's exit we only clean up
      killing ??= killGroup(child.pid, opts.killStragglers).then(() => {
        // Pipes held by a process that escaped the group must not hang us forever.
        setTimeout(() => finish(), CLOSE_WAIT_MS).unref();
      });
      return killing;
    };
    const finish = async () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      child.stdout?.destroy();
      child.stderr?.destroy();
      await killTree();
      done({
        exitCode: exit?.code ?? null,
        signal: exit?.signal ?? null,
        killedFor,
        spawnError,
        stdout: stdout.text(),
        stderr: stderr.text(),
        durationMs: Date.now() - started,
      });
    };

    const timer = setTimeout(() => void killTree('timeout'), opts.timeoutMs);
    const onAbort = () => void killTree('abort');
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });

    let total = 0;
    const onData = (out: CappedOutput) => (chunk: Buffer) => {
      out.push(chunk);
      total += chunk.length;
      if (total > opts.killAfterOutputBytes) void killTree('output-limit');
    };
    child.stdout.on('data', onData(stdout));
    child.stderr.on('data', onData(stderr));
    child.on('error', (err) => {
      spawnError = err;
      void finish();
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      opts.onExit?.();
      clearTimeout(timer);
      void killTree();
    });
    child.on('close', () => void finish());
  });
}

/** SIGTERM to the group, then SIGKILL after a grace period; waits until no member is alive. */
export async function killGroup(pid: number | undefined, killStragglers?: () => Promise<void>): Promise<void> {
  if (pid !== undefined && liveGroupMembers(pid) > 0) {
    signalGroup(pid, 'SIGTERM');
    const deadline = Date.now() + KILL_GRACE_MS;
    while (Date.now() < deadline && liveGroupMembers(pid) > 0) await sleep(20);
    // SIGKILL again until empty: a fork in flight during one kill may survive it.
    for (let i = 0; i < 50 && liveGroupMembers(pid) > 0; i++) {
      signalGroup(pid, 'SIGKILL');
      await sleep(10);
    }
  }
  await killStragglers?.();
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already empty
  }
}

/**
 * Members of a process group that are not zombies, from /proc. kill(-pgid, 0) is not
 * enough: orphaned zombies stay in the group until init reaps them, which in some
 * containers takes a second or more.
 */
export function liveGroupMembers(pgid: number): number {
  let live = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid pgrp ..."; comm may contain spaces and parentheses.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') live++;
  }
  return live;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Keeps the first and last half of a stream, counting what it drops in between. */
export class CappedOutput {
  private head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private total = 0;

  constructor(private readonly maxBytes: number) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    const headRoom = Math.ceil(this.maxBytes / 2) - this.headBytes;
    if (headRoom > 0) {
      const part = chunk.subarray(0, headRoom);
      this.head.push(part);
      this.headBytes += part.length;
      chunk = chunk.subarray(part.length);
    }
    if (chunk.length === 0) return;
    this.tail.push(chunk);
    this.tailBytes += chunk.length;
    const tailMax = Math.floor(this.maxBytes / 2);
    while (this.tail.length > 1 && this.tailBytes - this.tail[0].length >= tailMax) {
      this.tailBytes -= this.tail.shift()!.length;
    }
  }

  text(): string {
    const head = Buffer.concat(this.head);
    const tail = Buffer.concat(this.tail);
    const kept = tail.subarray(Math.max(0, tail.length - Math.floor(this.maxBytes / 2)));
    const omitted = this.total - head.length - kept.length;
    if (omitted === 0) return Buffer.concat([head, kept]).toString('utf8');
    return `${head.toString('utf8')}\n… [${omitted} bytes omitted] …\n${kept.toString('utf8')}`;
  }
}

/**
 * argv prefix that applies rlimits to the tree (inherited by every descendant).
 * Memory is RLIMIT_DATA, not RLIMIT_AS: Node, the JVM and Go reserve gigabytes of
 * address space they never touch (Node will not even start under a 512 MB RLIMIT_AS),
 * while RLIMIT_DATA counts what is actually allocated (heap and private mappings).
 * RLIMIT_NPROC counts every process of the user and is not enforced for root; the
 * pids cgroup below is the reliable process limit where we may create one.
 */
export function rlimitPrefix(limits: { memoryMb?: number; maxProcs?: number }, prlimit: string | undefined): string[] | { error: string } {
  const flags: string[] = [];
  if (limits.memoryMb !== undefined) flags.push(`--data=${Math.round(limits.memoryMb * 1024 * 1024)}`);
  if (limits.maxProcs !== undefined) flags.push(`--nproc=${limits.maxProcs}`);
  if (flags.length === 0) return [];
  if (!prlimit) return { error: 'memoryMb/maxProcs need the prlimit command, which is not on PATH. Fix: install util-linux, or remove memoryMb/maxProcs from the stage' };
  return [prlimit, ...flags, '--'];
}

let cgroupSerial = 0;

/** A pids cgroup capping the number of processes of one stage (works as root, unlike RLIMIT_NPROC). */
export class PidsCgroup {
  private constructor(private readonly dir: string) {}

  /** undefined when this machine does not let us create one (not root, no pids controller). */
  static async create(maxProcs: number): Promise<PidsCgroup | undefined> {
    for (const base of await pidsCgroupBases()) {
      const dir = join(base, `evoloop-${process.pid}-${++cgroupSerial}`);
      try {
        await mkdir(dir);
      } catch {
        continue;
      }
      try {
        await writeFile(join(dir, 'pids.max'), String(maxProcs));
        return new PidsCgroup(dir);
      } catch {
        await rmdir(dir).catch(() => undefined);
      }
    }
    return undefined;
  }

  /** argv prefix that moves the command into the cgroup before it runs, so no fork escapes it. */
  joinPrefix(): string[] {
    return ['/bin/sh', '-c', 'echo $$ > "$1" || exit 125; shift; exec "$@"', 'sh', join(this.dir, 'cgroup.procs')];
  }

  /** Whether some fork in the cgroup was refused because of the limit. */
  async hitLimit(): Promise<boolean> {
    const events = await readFile(join(this.dir, 'pids.events'), 'utf8').catch(() => '');
    return /^max\s+[1-9]/m.test(events);
  }

  /** SIGKILL every process still inside, even ones that left the process group. */
  async killAll(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const pids = (await readFile(join(this.dir, 'cgroup.procs'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
      if (pids.length === 0) return;
      for (const pid of pids) signalPid(Number(pid), 'SIGKILL');
      await sleep(10);
    }
  }

  async remove(): Promise<void> {
    await this.killAll();
    for (let i = 0; i < 50; i++) {
      try {
        await rmdir(this.dir);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        await sleep(20); // EBUSY until the last exiting process is released
      }
    }
  }
}

async function pidsCgroupBases(): Promise<string[]> {
  const bases = ['/sys/fs/cgroup/pids']; // cgroup v1
  const v2 = await readFile('/sys/fs/cgroup/cgroup.subtree_control', 'utf8').catch(() => '');
  if (/\bpids\b/.test(v2)) bases.push('/sys/fs/cgroup');
  return bases;
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}
