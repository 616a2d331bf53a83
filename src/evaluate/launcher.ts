// Starts stage processes from a small long-lived helper process instead of from evoloop itself.
// Why: Node's spawn forks on Linux, and a fork costs in proportion to the forking process's
// resident memory (measured here: 1.9 ms at 80 MB, 5.9 ms at 185 MB, 11 ms at 400 MB), paid
// on evoloop's own thread for every stage run. The helper is a bare Node process of about
// 40 MB that does nothing else, so a start costs the same at the first candidate as at the
// millionth. It also keeps a stage's `$PPID` away from evoloop: a stage that kills its
// parent kills the helper, which fails the stages it was running and is started again.
//
// One small interface, two implementations: through the helper (the default), or a plain
// spawn from this process when the helper cannot be started.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';

export interface LaunchOptions {
  cwd: string;
  env: Record<string, string>;
}

/**
 * One launched process, leader of its own process group, with stdin closed and stdout and
 * stderr piped. Events, as a ChildProcess's: 'spawn' (pid), 'stdout' and 'stderr' (Buffer),
 * 'exit' (code, signal), 'close' (its output is all read), 'error' (Error: it could not be
 * started); and 'lost' (Error): the helper died after it was asked to start the process, which
 * may have started (and killed the helper) before its pid came back.
 */
export interface Launched extends EventEmitter {
  /** Stops reading its output: a process that escaped the group must not keep the pipes, or us, waiting. */
  detach(): void;
}

export function launch(argv: string[], opts: LaunchOptions): Launched {
  if (!helper?.alive && !noHelper) {
    helper = Helper.start();
    noHelper = helper === undefined;
  }
  return helper ? helper.launch(argv, opts) : launchHere(argv, opts);
}

let helper: Helper | undefined;
/** Set when the helper could not be started: stages then start from this process for the rest of the run. */
let noHelper = false;

/** The helper's whole program (run with `node -e`): one spawn per message, its events sent back. */
const HELPER_SOURCE = `
const { spawn } = require('node:child_process');
const kids = new Map();
const HIGH = 1 << 20;
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
process.on('disconnect', () => process.exit(0));
process.on('message', (m) => {
  if (m.t === 'detach') {
    const k = kids.get(m.id);
    if (k) { k.stdout.destroy(); k.stderr.destroy(); }
    return;
  }
  const send = (e) => process.send({ id: m.id, ...e });
  let k;
  try {
    k = spawn(m.file, m.args, { cwd: m.cwd, env: m.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    send({ t: 'error', message: err.message, code: err.code });
    return send({ t: 'close' });
  }
  kids.set(m.id, k);
  // The pid at once, not at 'spawn' (a tick later): a stage that kills its parent first thing must not leave evoloop without its pid.
  if (k.pid !== undefined) send({ t: 'spawn', pid: k.pid });
  let queued = 0;
  const forward = (fd) => (data) => {
    queued += data.length;
    if (queued > HIGH) { k.stdout.pause(); k.stderr.pause(); }
    process.send({ id: m.id, t: 'out', fd, data }, () => {
      queued -= data.length;
      if (queued <= HIGH) { k.stdout.resume(); k.stderr.resume(); }
    });
  };
  k.stdout.on('data', forward(1));
  k.stderr.on('data', forward(2));
  k.on('error', (err) => send({ t: 'error', message: err.message, code: err.code }));
  k.on('exit', (code, signal) => send({ t: 'exit', code, signal }));
  k.on('close', () => { kids.delete(m.id); send({ t: 'close' }); });
});
`;

type HelperEvent =
  | { id: number; t: 'spawn'; pid: number }
  | { id: number; t: 'out'; fd: 1 | 2; data: Uint8Array }
  | { id: number; t: 'exit'; code: number | null; signal: NodeJS.Signals | null }
  | { id: number; t: 'close' }
  | { id: number; t: 'error'; message: string; code?: string };

class Helper {
  alive = true;
  private nextId = 0;
  private readonly running = new Map<number, Launched>();

  private constructor(private readonly proc: ChildProcess) {
    proc.on('message', (e: HelperEvent) => this.deliver(e));
    proc.on('exit', (code, signal) => this.died(`exited (${signal ?? `code ${code}`})`));
    proc.on('error', (err) => this.died(`failed: ${err.message}`));
    // A helper with nothing to run must not keep evoloop alive.
    proc.unref();
    proc.channel?.unref();
  }

  /** The helper, or undefined when it cannot be started here (then stages start from this process). */
  static start(): Helper | undefined {
    // Its own session, so a Ctrl-C meant for evoloop reaches evoloop first, which stops the stages;
    // only PATH in its environment, so nothing of evoloop's reaches a stage through its parent.
    const proc = spawn(process.execPath, ['-e', HELPER_SOURCE], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'advanced',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      detached: true,
    });
    if (proc.pid === undefined) {
      proc.on('error', () => {}); // reported below as the fallback
      return undefined;
    }
    return new Helper(proc);
  }

  launch(argv: string[], opts: LaunchOptions): Launched {
    const id = this.nextId++;
    const launched = Object.assign(new EventEmitter(), { detach: () => this.proc.send({ t: 'detach', id }) }) as Launched;
    this.running.set(id, launched);
    if (this.running.size === 1) this.proc.channel?.ref();
    this.proc.send({ t: 'spawn', id, file: argv[0], args: argv.slice(1), cwd: opts.cwd, env: opts.env });
    return launched;
  }

  private deliver(e: HelperEvent): void {
    const launched = this.running.get(e.id);
    if (!launched) return;
    if (e.t === 'spawn') launched.emit('spawn', e.pid);
    else if (e.t === 'out') launched.emit(e.fd === 1 ? 'stdout' : 'stderr', Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength));
    else if (e.t === 'exit') launched.emit('exit', e.code, e.signal);
    else if (e.t === 'error') launched.emit('error', Object.assign(new Error(e.message), { code: e.code }));
    else this.settle(e.id, () => launched.emit('close'));
  }

  private settle(id: number, last: () => void): void {
    this.running.delete(id);
    if (this.running.size === 0) this.proc.channel?.unref();
    last();
  }

  /** Whatever it was running is lost (the processes themselves are the callers' to kill); the next launch starts a new helper. */
  private died(how: string): void {
    if (!this.alive) return;
    this.alive = false;
    for (const [id, launched] of this.running) {
      const err = new Error(`evoloop's stage launcher (pid ${this.proc.pid}) ${how} while this process ran: something killed it, perhaps a stage`);
      this.settle(id, () => launched.emit('lost', err));
    }
  }
}

/** The same events from a plain spawn in this process. */
function launchHere(argv: string[], opts: LaunchOptions): Launched {
  const child = spawn(argv[0], argv.slice(1), { cwd: opts.cwd, env: opts.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const launched = Object.assign(new EventEmitter(), {
    detach: () => {
      child.stdout.destroy();
      child.stderr.destroy();
    },
  }) as Launched;
  child.on('spawn', () => launched.emit('spawn', child.pid));
  child.stdout.on('data', (d: Buffer) => launched.emit('stdout', d));
  child.stderr.on('data', (d: Buffer) => launched.emit('stderr', d));
  child.on('error', (err) => launched.emit('error', err));
  child.on('exit', (code, signal) => launched.emit('exit', code, signal));
  child.on('close', () => launched.emit('close'));
  return launched;
}
