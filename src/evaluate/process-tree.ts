// Runs a command as the leader of its own process group and guarantees the whole
// tree is gone when the promise settles: at the timeout, on abort, on too much
// output, and also after a normal exit (a stage's leftover background processes
// would otherwise hold its pipes open and live on).
import { readdirSync } from 'node:fs';
import { launch } from './launcher.js';
import { procStat } from './stage-processes.js';

export interface TreeOptions {
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  /** Bytes kept per stream: the first half and the last half. */
  maxOutputBytes: number;
  /** Total bytes (both streams) after which the tree is killed. */
  killAfterOutputBytes: number;
  signal?: AbortSignal;
  /** Extra cleanup for processes that left the group (a cgroup, a token sweep). */
  killStragglers?: () => Promise<void>;
  /** Started once the leader runs; calling `stop` kills the tree as 'limit'. Returns its disposer. */
  watch?: (leaderPid: number, stop: () => void) => () => void;
  /** Called synchronously when the leader exits, before anything left behind is killed. */
  onExit?: () => void;
  /** Called at every chunk of output (the agent's stall watchdog). */
  onOutput?: () => void;
}

export interface TreeResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Why we ended it, if we did. */
  killedFor?: 'timeout' | 'output-limit' | 'abort' | 'limit';
  /** It could not be started. */
  spawnError?: Error;
  /** It started, but what became of it is unknown: the launcher that ran it died (launcher.ts). */
  lost?: Error;
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
    let lost: Error | undefined;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let killing: Promise<void> | undefined;
    let finished = false;
    let pid: number | undefined;
    let unwatch: (() => void) | undefined;
    let leaderKnown!: () => void;
    // A kill asked for before the leader runs (an abort at once) waits for its pid, or for the error that means there is none.
    const leader = new Promise<void>((resolve) => (leaderKnown = resolve));

    const child = launch(argv, { cwd: opts.cwd, env: opts.env });
    const killTree = (why?: TreeResult['killedFor']) => {
      if (!exit) killedFor ??= why; // after the leader's exit we only clean up
      killing ??= leader
        .then(() => killGroup(pid, opts.killStragglers))
        .then(() => {
          // Pipes held by a process that escaped the group must not hang us forever.
          setTimeout(() => finish(), CLOSE_WAIT_MS).unref();
        });
      return killing;
    };
    const finish = async () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      unwatch?.();
      opts.signal?.removeEventListener('abort', onAbort);
      child.detach();
      leaderKnown();
      await killTree();
      done({
        exitCode: exit?.code ?? null,
        signal: exit?.signal ?? null,
        killedFor,
        spawnError,
        lost,
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
      opts.onOutput?.();
      total += chunk.length;
      if (total > opts.killAfterOutputBytes) void killTree('output-limit');
    };
    child.on('spawn', (leaderPid: number) => {
      pid = leaderPid;
      leaderKnown();
      if (!finished) unwatch = opts.watch?.(leaderPid, () => void killTree('limit'));
    });
    child.on('stdout', onData(stdout));
    child.on('stderr', onData(stderr));
    child.on('error', (err: Error) => {
      if (pid === undefined) spawnError = err;
      else lost = err;
      void finish();
    });
    // Started or not, it may be running: finish() sweeps the stage's processes either way.
    child.on('lost', (err: Error) => {
      lost = err;
      void finish();
    });
    child.on('exit', (code: number | null, signal: NodeJS.Signals | null) => {
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
  // A group with no process at all (the usual end of a stage) needs no scan: kill(-pgid, 0)
  // fails with ESRCH only when not even a zombie is left in it, and nothing can join an
  // empty group (setpgid only joins a group that exists).
  if (!groupExists(pgid)) return 0;
  let live = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(entry);
    if (stat === undefined) continue; // exited meanwhile
    // "pid (comm) state ppid pgrp ..."; comm may contain spaces and parentheses.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') live++;
  }
  return live;
}

function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH'; // EPERM: there, but not ours to signal
  }
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
