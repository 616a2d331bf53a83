// Bubblewrap sandbox for verifier stages. A stage sees only what it needs:
//   - the system folders that exist (/usr, /bin, /sbin, /lib*, /etc, /opt, /sys), read-only,
//     with /etc's secrets masked (shadow, sudoers, ssh host keys, private TLS keys, …);
//   - the toolchains on its PATH outside those folders, read-only (for a `…/bin` or
//     `…/shims` entry its parent, e.g. ~/.pyenv), and the config's `sandbox_expose` paths;
//   - its worktree and scratch folder writable, the metrics folder (not listable) writable;
//   - its own /dev, /proc (own pid namespace), a private /tmp and HOME inside it;
//   - the verifier's own files laid read-only over the worktree (from the base commit).
// Everything else is absent: the user's home, /root, evoloop's store, the rest of the host.
// No network, no capabilities (root inside would otherwise keep CAP_SYS_ADMIN and could
// unmount the read-only binds or remount / writable), and nothing outlives the stage.
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, lstatSync, readlinkSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, delimiter, dirname, isAbsolute, join, resolve } from 'node:path';

export type SandboxMode = 'required' | 'auto' | 'off';

export interface ReadOnlyBind {
  /** A file or a whole folder (a new entry in a bound folder is impossible: EROFS). */
  source: string;
  /** Absolute, or relative to the worktree. */
  target: string;
}

export interface SandboxLayout {
  worktree: string;
  cwd: string;
  /** Extra writable folders outside the worktree (the stage's metrics folder and artifacts). */
  writable: string[];
  readOnlyBinds: ReadOnlyBind[];
  /** Folders that must stay invisible even inside a shown folder (evoloop's store). */
  hidden?: string[];
  /** The stage's PATH: its toolchain folders are shown read-only. */
  path?: string;
  /** More host paths shown read-only (the config's `sandbox_expose`). */
  expose?: string[];
  /** Size of the private /tmp, which lives in RAM (tmp_mb); unset: the kernel's default, half the RAM. */
  tmpMb?: number;
  /** Keep the host's network (the agent operator calls its own model API); stages never get it. */
  network?: boolean;
}

/** HOME inside the sandbox: a private folder in its private /tmp, not the user's. */
export const SANDBOX_HOME = '/tmp/home';

const SYSTEM_FOLDERS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/etc', '/opt', '/sys'];

/** Secrets under /etc, masked when present: password hashes, sudo rules, host keys, private keys, stored passwords. */
const ETC_SECRETS = [
  'shadow',
  'shadow-',
  'gshadow',
  'gshadow-',
  'master.passwd',
  'security/opasswd',
  'sudoers',
  'sudoers.d',
  'ssh',
  'ssl/private',
  'pki/tls/private',
  'letsencrypt',
  'krb5.keytab',
  'ipsec.secrets',
  'ipsec.d/private',
  'ppp/chap-secrets',
  'ppp/pap-secrets',
  'wireguard',
  'openvpn',
  'NetworkManager/system-connections',
  'mysql/debian.cnf',
  'ldap.secret',
  'rsyncd.secrets',
  'docker/key.json',
  'libvirt/secrets',
  'credstore',
  'credstore.encrypted',
].map((p) => `/etc/${p}`);

/** Credential files that live at the top of a toolchain folder (~/.cargo/credentials.toml). */
const TOOLCHAIN_SECRETS = ['credentials', 'credentials.toml'];

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

/** What a sandboxed stage sees of the host besides its worktree, in one line (the run-start notice). */
export function describeSandboxView(opts: { path?: string; expose?: string[]; hidden?: string[] }): string {
  const view = hostView(opts);
  const system = view.system.map((s) => s.path).join(' ');
  const shown = [...view.toolchains, ...view.exposed];
  return (
    `sandbox: bubblewrap — stages see their worktree (writable), ${system} read-only (/etc without its secrets), ` +
    `${shown.length ? `toolchains ${shown.join(' ')} read-only, ` : ''}a private /tmp and HOME, no network, no capabilities; ` +
    `your home, the store and the rest of the host are hidden; the verifier files come from the base commit.`
  );
}

function bwrapArgs(layout: SandboxLayout): string[] {
  const view = hostView(layout);
  const args = layout.network ? ISOLATION.filter((a) => a !== '--unshare-net') : [...ISOLATION];
  for (const s of view.system) args.push(...(s.symlink === undefined ? ['--ro-bind', s.path, s.path] : ['--symlink', s.symlink, s.path]));
  if (layout.tmpMb !== undefined) args.push('--size', String(layout.tmpMb * 1024 * 1024));
  args.push('--tmpfs', '/tmp', '--dir', SANDBOX_HOME);
  // After the private /tmp, so a toolchain or exposed path under /tmp is the real one.
  for (const dir of [...view.toolchains, ...view.exposed]) args.push('--ro-bind', dir, dir);
  // A file is masked by an unreadable device node, a folder by an empty read-only tmpfs.
  for (const secret of view.masked) args.push(...(isDirectory(secret) ? ['--tmpfs', secret, '--remount-ro', secret] : ['--ro-bind', '/dev/null', secret]));
  for (const dir of layout.hidden ?? []) args.push('--tmpfs', dir);
  // Binds come after the tmpfs mounts so a worktree under /tmp (or under a hidden folder) is the real one.
  for (const dir of [layout.worktree, ...layout.writable]) args.push('--bind', dir, dir);
  for (const b of layout.readOnlyBinds) {
    const target = isAbsolute(b.target) ? b.target : resolve(layout.worktree, b.target);
    args.push('--ro-bind', b.source, target);
  }
  // Hidden folders and the root itself (tmpfs mounts holding mount points) are read-only too,
  // so nothing can be stored in RAM there: writes go to the worktree or the capped /tmp.
  for (const dir of layout.hidden ?? []) args.push('--remount-ro', dir);
  args.push('--remount-ro', '/', '--chdir', layout.cwd, '--');
  return args;
}

interface HostView {
  system: { path: string; symlink?: string }[];
  toolchains: string[];
  exposed: string[];
  masked: string[];
}

/** The host paths a sandboxed stage sees (deterministic for a given machine, PATH and config). */
function hostView(opts: { path?: string; expose?: string[]; hidden?: string[]; worktree?: string }): HostView {
  const system = SYSTEM_FOLDERS.flatMap((path) => {
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (!st) return [];
    return st.isSymbolicLink() ? [{ path, symlink: readlinkSync(path) }] : st.isDirectory() ? [{ path }] : [];
  });
  const privateFolders = [...(opts.hidden ?? []), ...(opts.worktree ? [opts.worktree] : [])];
  const toolchains = outermost(toolchainFolders(opts.path, privateFolders));
  const exposed = (opts.expose ?? []).filter((p) => !toolchains.some((t) => within(p, t)));
  const masked = [
    ...ETC_SECRETS.filter((p) => existsSync(p)),
    ...toolchains.flatMap((dir) => TOOLCHAIN_SECRETS.map((name) => join(dir, name))).filter((p) => existsSync(p)),
  ];
  return { system, toolchains, exposed, masked };
}

/**
 * Folders holding the toolchains of a PATH, outside the system folders: the entry itself,
 * or its parent for `…/bin` and `…/shims` (a version manager's shims need the versions
 * beside them). Never a home folder as a whole, nor one that holds a private folder.
 */
export function toolchainFolders(pathVar: string | undefined, privateFolders: string[] = []): string[] {
  const roots = new Set([homedir(), '/root', '/']);
  const showable = (f: string) => !roots.has(f) && dirname(f) !== '/home' && !privateFolders.some((p) => within(p, f));
  const out: string[] = [];
  for (const entry of (pathVar ?? '').split(delimiter)) {
    if (!isAbsolute(entry)) continue; // '' and '.' mean the cwd, which is the worktree
    const dir = resolve(entry);
    if (SYSTEM_FOLDERS.some((s) => within(dir, s)) || !isDirectory(dir)) continue;
    const candidates = ['bin', 'shims'].includes(basename(dir)) ? [dirname(dir), dir] : [dir];
    const folder = candidates.find(showable);
    if (folder && !out.includes(folder)) out.push(folder);
  }
  return out;
}

/** Drops folders that lie inside another one of the list. */
function outermost(folders: string[]): string[] {
  return folders.filter((f) => !folders.some((g) => g !== f && within(f, g)));
}

/** Whether `path` is `folder` or inside it. */
function within(path: string, folder: string): boolean {
  return path === folder || path.startsWith(folder.endsWith('/') ? folder : `${folder}/`);
}

function isDirectory(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

// No --new-session: it would call setsid() and take the stage out of the process
// group we kill at the timeout. The stage has no terminal anyway (detached spawn).
const ISOLATION = [
  '--dev',
  '/dev',
  '--proc',
  '/proc',
  '--unshare-net',
  '--unshare-pid',
  '--unshare-ipc',
  '--unshare-uts',
  '--cap-drop',
  'ALL',
  '--die-with-parent',
];

function probeBwrap(): Promise<{ available: boolean; reason?: string; bwrap?: string }> {
  probe ??= (async () => {
    const bwrap = findOnPath('bwrap');
    if (!bwrap) return { available: false, reason: 'bwrap is not on PATH' };
    const { code, stderr } = await runQuiet(bwrap, [...ISOLATION, '--ro-bind', '/', '/', '--', '/bin/true']);
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
