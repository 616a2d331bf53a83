// Running git. Only for the rare steps (discovering the repository, listing the base
// tree, pooled worktree resets); hot-path object writes go through git-objects.ts.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { UsageError } from '../core/errors.js';

export interface GitResult {
  stdout: string;
  stderr: string;
  code: number;
}

export function git(cwd: string, args: string[], opts: { input?: string; allowFail?: boolean; encoding?: 'utf8' } = {}): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      args,
      { cwd, maxBuffer: 1 << 30, env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' } },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? 1) : 0;
        if (typeof code !== 'number') return reject(new Error(`git ${args[0]}: ${err!.message}. Fix: install git and put it on PATH.`));
        if (code !== 0 && !opts.allowFail) {
          return reject(new Error(`git ${args.join(' ')} failed (exit ${code}): ${stderr.trim()}`));
        }
        resolve({ stdout, stderr, code });
      },
    );
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
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

/** Paths (repo-relative) with uncommitted changes or untracked files under `prefix`. */
export async function changedPaths(root: string, prefix: string): Promise<string[]> {
  const out = await git(root, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--', prefix || '.']);
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
