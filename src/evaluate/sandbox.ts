// Bubblewrap sandbox for verifier stages: the whole filesystem read-only except the
// candidate's worktree and the stage's scratch folder, a private /tmp, no network,
// its own pid namespace (so nothing outlives it), and optional read-only files laid
// over the worktree (the verifier's own files, taken from the base commit).
// HOME is read-only as well: tools that cache there need a cache folder set via env.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

export type SandboxMode = 'required' | 'auto' | 'off';

export interface ReadOnlyBind {
  source: string;
  /** Absolute, or relative to the worktree. */
  target: string;
}

export interface SandboxLayout {
  worktree: string;
  cwd: string;
  /** Extra writable folders outside the worktree (the stage's metrics file and artifacts). */
  writable: string[];
  readOnlyBinds: ReadOnlyBind[];
  /** Folders replaced by an empty tmpfs (evoloop's store: candidates must not read or write it). */
  hidden?: string[];
}

export class SandboxUnavailableError extends Error {
  constructor(reason: string) {
    super(
      `sandbox: 'required' but bubblewrap cannot be used: ${reason}. ` +
        `Fix: install it (apt-get install bubblewrap) or set sandbox: auto to run stages unsandboxed when it is missing.`,
    );
    this.name = 'SandboxUnavailableError';
  }
}

let probe: Promise<{ available: boolean; reason?: string; bwrap?: string }> | undefined;

/** Whether bwrap is on PATH and can create the namespaces we use. Probed once per process. */
export async function sandboxStatus(): Promise<{ available: boolean; reason?: string }> {
  const { available, reason } = await probeBwrap();
  return reason === undefined ? { available } : { available, reason };
}

/**
 * The argv that runs `command` in the sandbox, or `command` itself when the mode and
 * the machine say not to sandbox. Throws SandboxUnavailableError for 'required'.
 */
export async function sandboxArgv(mode: SandboxMode, command: string[], layout: SandboxLayout): Promise<{ argv: string[]; sandboxed: boolean }> {
  if (mode === 'off') return { argv: command, sandboxed: false };
  const status = await probeBwrap();
  if (!status.available || !status.bwrap) {
    if (mode === 'required') throw new SandboxUnavailableError(status.reason ?? 'unknown reason');
    return { argv: command, sandboxed: false };
  }
  return { argv: [status.bwrap, ...bwrapArgs(layout), ...command], sandboxed: true };
}

function bwrapArgs(layout: SandboxLayout): string[] {
  const args = [...ISOLATION, '--tmpfs', '/tmp'];
  for (const dir of layout.hidden ?? []) args.push('--tmpfs', dir);
  // Binds come after the tmpfs mounts so a worktree under /tmp (or under a hidden folder) is the real one.
  for (const dir of [layout.worktree, ...layout.writable]) args.push('--bind', dir, dir);
  for (const b of layout.readOnlyBinds) {
    const target = isAbsolute(b.target) ? b.target : resolve(layout.worktree, b.target);
    args.push('--ro-bind', b.source, target);
  }
  args.push('--chdir', layout.cwd, '--');
  return args;
}

// No --new-session: it would call setsid() and take the stage out of the process
// group we kill at the timeout. The stage has no terminal anyway (detached spawn).
const ISOLATION = [
  '--ro-bind', '/', '/',
  '--dev', '/dev',
  '--proc', '/proc',
  '--unshare-net',
  '--unshare-pid',
  '--unshare-ipc',
  '--unshare-uts',
  '--die-with-parent',
];

function probeBwrap(): Promise<{ available: boolean; reason?: string; bwrap?: string }> {
  probe ??= (async () => {
    const bwrap = findOnPath('bwrap');
    if (!bwrap) return { available: false, reason: 'bwrap is not on PATH' };
    const { code, stderr } = await runQuiet(bwrap, [...ISOLATION, '--', '/bin/true']);
    if (code !== 0) return { available: false, reason: `bwrap does not work here (exit ${code}): ${stderr.trim() || 'no message'}` };
    return { available: true, bwrap };
  })();
  return probe;
}

export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

function runQuiet(file: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (e) => done({ code: null, stderr: e.message }));
    child.on('close', (code) => done({ code, stderr }));
  });
}
