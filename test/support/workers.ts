// `evoloop worker` processes for distributed tests and the bench: each in its own clone of a
// test problem's repository (as on another machine), the leader of its own process group,
// output collected.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { CLI, type Problem } from './problem.js';

export interface WorkerProcess {
  child: ChildProcess;
  /** The problem folder in the worker's clone. */
  dir: string;
  /** The id it printed at start (host/pid/random), as status --json lists it. */
  id(): string;
  output(): string;
  /** Resolves once the worker's output matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  kill(signal?: NodeJS.Signals): void;
  exited(): Promise<number | null>;
}

/** A clone of the problem's repository beside it, as a worker machine would have. */
export function cloneProblem(p: Problem, name: string): string {
  const clone = path.join(p.tmp, name);
  execFileSync('git', ['clone', '-q', p.repo, clone]);
  return path.join(clone, path.relative(p.repo, p.dir));
}

/** `evoloop worker` in `dir`; `url` undefined: it takes the URL from EVOLOOP_REDIS_URL in `env`. */
export function spawnWorker(dir: string, url: string | undefined, args: string[] = [], env: NodeJS.ProcessEnv = {}): WorkerProcess {
  const child = spawn(process.execPath, [CLI, 'worker', dir, ...(url ? ['--redis', url] : []), '--stall-timeout', '1s', ...args], {
    cwd: dir,
    detached: true,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    child,
    dir,
    id: () => /worker (\S+): talking/.exec(out)?.[1] ?? '(no id printed yet)',
    output: () => out,
    waitFor: async (pattern, timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(out)) {
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`worker exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}:\n${out}`);
        if (Date.now() > deadline) throw new Error(`worker did not print ${pattern} within ${timeoutMs} ms:\n${out}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    kill: (signal = 'SIGKILL') => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // Already gone.
      }
    },
    exited: () => exit,
  };
}
