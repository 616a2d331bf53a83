// Running git, always on the user's repository (pooled worktrees have no .git and git never
// runs in them). Every call gets a scrubbed environment (no API keys, no GIT_DIR games from
// the caller) and config that turns off every program git could run on its own: hooks,
// fsmonitor, external diff and textconv, and (for status) the repository's filter drivers.
// Hot-path object writes go through git-objects.ts instead.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { UsageError } from '../core/errors.js';

export interface GitResult<T = string> {
  stdout: T;
  stderr: string;
  code: number;
}

interface GitOptions {
  input?: string;
  allowFail?: boolean;
  /** `-c name=value` pairs added to the defaults (e.g. filter drivers to neutralize). */
  config?: string[];
}

/** What makes git run a program of the repository's choosing, switched off for every command. */
const SAFE_CONFIG = ['core.hooksPath=/dev/null', 'core.fsmonitor=false'];
/** Commands that can show diffs: never through diff.external or a textconv driver. */
const DIFFING = new Set(['diff', 'show', 'log']);

/** The only variables git gets: where programs and the user's own git config are, and a plain locale. */
export function gitEnv(source: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = { LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', GIT_ATTR_NOSYSTEM: '1' };
  for (const name of ['PATH', 'HOME', 'LANG', 'TMPDIR']) if (source[name] !== undefined) env[name] = source[name]!;
  return env;
}

export function git(cwd: string, args: string[], opts?: GitOptions): Promise<GitResult>;
export function git(cwd: string, args: string[], opts: GitOptions & { raw: true }): Promise<GitResult<Buffer>>;
export function git(cwd: string, args: string[], opts: GitOptions & { raw?: boolean } = {}): Promise<GitResult<string | Buffer>> {
  if (/[\\/]\.evoloop[\\/]worktrees([\\/]|$)/.test(path.resolve(cwd))) {
    return Promise.reject(new Error(`git must never run in a pooled worktree (${cwd}): they are plain folders that a candidate controls`));
  }
  const config = [...SAFE_CONFIG, ...(opts.config ?? [])].flatMap((c) => ['-c', c]);
  const [command, ...rest] = args;
  const full = ['--no-optional-locks', ...config, command, ...(DIFFING.has(command) ? ['--no-ext-diff', '--no-textconv'] : []), ...rest];
  return new Promise((resolve, reject) => {
    const child = execFile('git', full, { cwd, maxBuffer: 1 << 30, env: gitEnv(), encoding: opts.raw ? 'buffer' : 'utf8' }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      if (typeof code !== 'number') return reject(new Error(`git ${command}: ${err!.message}. Fix: install git and put it on PATH.`));
      if (code !== 0 && !opts.allowFail) {
        return reject(new Error(`git ${args.join(' ')} failed (exit ${code}): ${String(stderr).trim()}`));
      }
      resolve({ stdout, stderr: String(stderr), code });
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}

/**
 * Who evoloop's commits are by: the user's git identity in this repository (user.name and
 * user.email, local or global config), else evoloop's own. Commits carry `Evoloop-Run:` trailers.
 */
export async function gitIdentity(repoRoot: string): Promise<string> {
  const get = async (key: string) => (await git(repoRoot, ['config', '--get', key], { allowFail: true })).stdout.trim().replace(/[<>\n]/g, '');
  const [name, email] = await Promise.all([get('user.name'), get('user.email')]);
  return name && email ? `${name} <${email}>` : 'evoloop <evoloop@localhost>';
}

export interface RepoInfo {
  /** Absolute path of the repository's top level. */
  root: string;
  /** The shared .git directory (worktrees share objects and refs). */
  commonDir: string;
  /** The problem folder relative to root, `/`-separated, '' when it is the root. */
  prefix: string;
  head: string;
}

export async function repoInfo(problemDir: string): Promise<RepoInfo> {
  const probe = await git(problemDir, ['rev-parse', '--show-toplevel', '--git-common-dir', '--show-prefix'], { allowFail: true });
  if (probe.code !== 0) {
    throw new UsageError(
      `${problemDir} is not inside a git repository. Fix: \`git init && git add -A && git commit -m base\` there (evoloop keeps every candidate as a git commit).`,
    );
  }
  const [root, commonDir, prefix] = probe.stdout.split('\n');
  const head = await git(problemDir, ['rev-parse', '--verify', '-q', 'HEAD^{commit}'], { allowFail: true });
  if (head.code !== 0) {
    throw new UsageError(`the repository at ${root} has no commit yet. Fix: commit your program and verifier first (git add -A && git commit -m base).`);
  }
  const absCommon = path.resolve(problemDir, commonDir);
  return { root, commonDir: absCommon, prefix: prefix.replace(/\/$/, ''), head: head.stdout.trim() };
}

/**
 * Paths (repo-relative) with uncommitted changes or untracked files under `prefix`. Status
 * would run a filter driver's clean command on files whose stat changed: every driver the
 * config names is emptied for this call, so files are compared as stored.
 */
export async function changedPaths(root: string, prefix: string): Promise<string[]> {
  const out = await git(root, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--ignore-submodules=all', '--', prefix || '.'], {
    config: await filterOff(root),
  });
  const paths: string[] = [];
  const fields = out.stdout.split('\0');
  for (let i = 0; i < fields.length; i++) {
    const entry = fields[i];
    if (entry.length < 4) continue;
    paths.push(entry.slice(3));
    // Renames and copies carry the source path as the next field; a renamed-away file is a change too.
    if (entry[0] === 'R' && (!prefix || fields[i + 1].startsWith(`${prefix}/`))) paths.push(fields[i + 1]);
    if (entry[0] === 'R' || entry[0] === 'C') i++;
  }
  return paths;
}

/** `-c` settings that empty every configured filter driver (an empty command runs nothing). */
async function filterOff(root: string): Promise<string[]> {
  const listed = await git(root, ['config', '-z', '--name-only', '--get-regexp', '^filter\\.'], { allowFail: true });
  const drivers = new Set(
    listed.stdout
      .split('\0')
      .filter(Boolean)
      .map((key) => key.slice('filter.'.length, key.lastIndexOf('.'))),
  );
  return [...drivers].flatMap((d) => [`filter.${d}.clean=`, `filter.${d}.smudge=`, `filter.${d}.process=`, `filter.${d}.required=false`]);
}
