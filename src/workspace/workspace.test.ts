// The git side of a run against a real repository: the base, the reusable worktree
// pool, materializing and recording candidates, apply's branch, and dirty-tree rules.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../core/errors.js';
import { changedPaths, repoInfo } from './git.js';
import { resolveBase, Workspace } from './workspace.js';

const ENV = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@l', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@l' };

let tmp: string;
let repo: string;
let problem: string;
let base: string;
const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8', env: ENV }).trim();
const put = (rel: string, content: string) => {
  const file = path.join(problem, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
};

beforeEach(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'evoloop-ws-'));
  repo = path.join(tmp, 'repo');
  problem = path.join(repo, 'prob');
  mkdirSync(problem, { recursive: true });
  git('init', '-q', '-b', 'main');
  writeFileSync(path.join(repo, '.gitignore'), '.evoloop/\ncache/\n');
  writeFileSync(path.join(repo, 'outside.txt'), 'not part of the problem\n');
  put('program.py', 'x = 1\n');
  put('lib/util.py', 'def f(): return 2\n');
  put('verifier/score.sh', 'echo 1\n');
  git('add', '-A');
  git('commit', '-q', '-m', 'base');
  base = git('rev-parse', 'HEAD');
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

const open = (poolSize = 2) => Workspace.open({ problemDir: problem, baseCommit: base, poolSize });

describe('repoInfo', () => {
  it('finds the repository, its shared git dir and the problem prefix', async () => {
    const info = await repoInfo(problem);
    expect(info).toMatchObject({ root: repo, prefix: 'prob', head: base });
    expect(info.commonDir).toBe(path.join(repo, '.git'));
  });

  it('refuses a folder outside git, and a repository without a commit, saying what to do', async () => {
    const bare = path.join(tmp, 'plain');
    mkdirSync(bare);
    await expect(repoInfo(bare)).rejects.toThrow(/not inside a git repository.*git init/);
    execFileSync('git', ['init', '-q'], { cwd: bare });
    await expect(repoInfo(bare)).rejects.toThrow(/has no commit yet.*git commit/);
    await expect(repoInfo(bare)).rejects.toBeInstanceOf(UsageError);
  });
});

describe('Workspace', () => {
  it('knows the base files (problem-relative) and reads them', async () => {
    const ws = await open();
    expect(ws.baseFiles().sort()).toEqual(['lib/util.py', 'program.py', 'verifier/score.sh']);
    expect(await ws.readBase('program.py')).toBe('x = 1\n');
    expect(await ws.readBase('missing.py')).toBeUndefined();
    expect(ws.toRepoPath('lib/util.py')).toBe('prob/lib/util.py');
  });

  it('pools worktrees: at most poolSize, reused after release, never cloned per candidate', async () => {
    const ws = await open(2);
    const a = await ws.acquire();
    const b = await ws.acquire();
    expect(a.root).not.toBe(b.root);
    expect(a.problemDir).toBe(path.join(a.root, 'prob'));
    expect(readFileSync(path.join(a.problemDir, 'program.py'), 'utf8')).toBe('x = 1\n');

    let third: Awaited<ReturnType<typeof ws.acquire>> | undefined;
    const waiting = ws.acquire().then((wt) => (third = wt));
    await new Promise((r) => setTimeout(r, 100));
    expect(third).toBeUndefined(); // the pool is exhausted: the caller waits
    ws.release(a);
    await waiting;
    expect(third!.root).toBe(a.root);
    ws.release(b);
    ws.release(third!);
    for (let i = 0; i < 5; i++) ws.release(await ws.acquire());
    expect(git('worktree', 'list').split('\n')).toHaveLength(3); // the checkout + 2 pooled
  });

  it('hands out a worktree back at the base: changes and untracked files gone, ignored caches kept', async () => {
    const ws = await open(1);
    const wt = await ws.acquire();
    ws.materialize(wt, { 'program.py': 'x = 99\n', 'new/dir/extra.py': 'y = 1\n' });
    expect(ws.readWorktreeFile(wt, 'program.py')).toBe('x = 99\n');
    expect(ws.readWorktreeFile(wt, 'new/dir/extra.py')).toBe('y = 1\n');
    writeFileSync(path.join(wt.problemDir, 'lib', 'util.py'), 'tampered\n'); // a verifier scribbling
    writeFileSync(path.join(wt.problemDir, 'stray.log'), 'log\n');
    mkdirSync(path.join(wt.problemDir, 'cache'));
    writeFileSync(path.join(wt.problemDir, 'cache', 'compiled.bin'), 'cache\n');
    git('-C', wt.root, 'add', 'prob/stray.log'); // even staged files
    ws.release(wt);

    const again = await ws.acquire();
    expect(again.root).toBe(wt.root);
    expect(ws.readWorktreeFile(again, 'program.py')).toBe('x = 1\n');
    expect(ws.readWorktreeFile(again, 'lib/util.py')).toBe('def f(): return 2\n');
    expect(existsSync(path.join(again.problemDir, 'new'))).toBe(false);
    expect(existsSync(path.join(again.problemDir, 'stray.log'))).toBe(false);
    expect(existsSync(path.join(again.problemDir, 'cache', 'compiled.bin'))).toBe(true);
    expect(git('-C', again.root, 'status', '--porcelain')).toBe('');
    expect(git('-C', again.root, 'rev-parse', 'HEAD')).toBe(base);
  });

  it('resets without git when only its own files changed, and still catches a same-size edit to another file', async () => {
    const ws = await open(1);
    let wt = await ws.acquire();
    for (let i = 0; i < 3; i++) {
      ws.materialize(wt, { 'program.py': `x = ${i + 5}\n`, 'new/dir/extra.py': 'y = 1\n' });
      ws.release(wt);
      wt = await ws.acquire();
      expect(ws.readWorktreeFile(wt, 'program.py')).toBe('x = 1\n');
      expect(existsSync(path.join(wt.problemDir, 'new'))).toBe(false);
      expect(git('-C', wt.root, 'status', '--porcelain')).toBe('');
    }
    // Same size, written behind the pool's back: the stat walk (ctime) sees it.
    writeFileSync(path.join(wt.problemDir, 'lib', 'util.py'), 'def f(): return 3\n');
    ws.release(wt);
    wt = await ws.acquire();
    expect(ws.readWorktreeFile(wt, 'lib/util.py')).toBe('def f(): return 2\n');
    expect(git('-C', wt.root, 'status', '--porcelain')).toBe('');
  });

  it('reuses the pooled worktrees of an earlier process, and survives them being deleted', async () => {
    const first = await open(1);
    const wt = await first.acquire();
    first.release(wt);
    const second = await open(1);
    const again = await second.acquire();
    expect(again.root).toBe(wt.root);
    second.release(again);
    rmSync(path.join(problem, '.evoloop'), { recursive: true, force: true });
    const third = await open(1);
    const fresh = await third.acquire();
    expect(readFileSync(path.join(fresh.problemDir, 'program.py'), 'utf8')).toBe('x = 1\n');
  });

  it('records a candidate as a commit on its ref, with its parent', async () => {
    const ws = await open();
    const c1 = ws.commit({ 'program.py': 'x = 2\n' }, base, 'one', 'refs/evoloop/r/1');
    const c2 = ws.commit({ 'program.py': 'x = 3\n', 'lib/util.py': 'def f(): return 3\n' }, c1, 'two', 'refs/evoloop/r/2');
    expect(git('rev-parse', 'refs/evoloop/r/2')).toBe(c2);
    expect(git('rev-parse', `${c2}^`)).toBe(c1);
    // Each commit holds the candidate's full change against the base.
    expect(git('diff', '--name-only', base, c2).split('\n')).toEqual(['prob/lib/util.py', 'prob/program.py']);
    expect(git('show', `${c2}:prob/program.py`)).toBe('x = 3');
    expect(git('show', `${c2}:outside.txt`)).toBe('not part of the problem');
    ws.setRef('refs/heads/evoloop/r/2', c2);
    expect(git('branch', '--list', 'evoloop/*', '--format=%(refname)')).toBe('refs/heads/evoloop/r/2');
    expect(git('fsck', '--strict', '--no-dangling', '--no-progress')).toBe('');
  });

  it('createBranch puts the change on top of the base without touching the checkout', async () => {
    put('scratch.txt', 'uncommitted\n');
    const status = git('status', '--porcelain');
    const index = git('write-tree');
    const ws = await open();
    const sha = await ws.createBranch('improved', { 'program.py': 'x = 7\n' }, 'apply', false);
    expect(git('rev-parse', 'improved')).toBe(sha);
    expect(git('rev-parse', 'improved^')).toBe(base);
    expect(git('diff', base, 'improved')).toMatch(/-x = 1\n\+x = 7/);
    expect(git('rev-parse', 'HEAD')).toBe(base);
    expect(git('symbolic-ref', 'HEAD')).toBe('refs/heads/main');
    expect(git('status', '--porcelain')).toBe(status);
    expect(git('write-tree')).toBe(index);
    expect(readFileSync(path.join(problem, 'program.py'), 'utf8')).toBe('x = 1\n');

    await expect(ws.createBranch('improved', { 'program.py': 'x = 8\n' }, 'again', false)).rejects.toThrow(/already exists.*--force/);
    const moved = await ws.createBranch('improved', { 'program.py': 'x = 8\n' }, 'again', true);
    expect(git('rev-parse', 'improved')).toBe(moved);
    await expect(ws.createBranch('bad..name', {}, 'm', false)).rejects.toThrow(/not a valid branch name/);
  });
});

describe('resolveBase', () => {
  const matters = (p: string) => p === 'program.py' || p.startsWith('verifier/') || p.startsWith('lib/');

  it('is HEAD when the files that matter are clean (other changes do not count)', async () => {
    writeFileSync(path.join(repo, 'outside.txt'), 'edited\n');
    put('notes.md', 'untracked\n');
    expect(await resolveBase(problem, matters, false)).toEqual({ baseCommit: base, repoRoot: repo, snapshot: [] });
  });

  it('refuses uncommitted changes that matter, naming them and the fix', async () => {
    put('program.py', 'x = 5\n');
    put('verifier/new.sh', 'echo\n');
    const err = await resolveBase(problem, matters, false).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/uncommitted changes to files the run depends on: .*program\.py/);
    expect((err as Error).message).toContain('verifier/new.sh');
    expect((err as Error).message).toMatch(/Fix: commit them .*--allow-dirty/);
  });

  it('with allowDirty, snapshots modified, new and deleted files on top of HEAD, leaving the checkout alone', async () => {
    put('program.py', 'x = 5\n');
    put('lib/new.py', 'z = 0\n');
    rmSync(path.join(problem, 'lib', 'util.py'));
    const status = git('status', '--porcelain');
    const { baseCommit, snapshot } = await resolveBase(problem, matters, true);
    expect(snapshot.sort()).toEqual(['lib/new.py', 'lib/util.py', 'program.py']);
    expect(git('rev-parse', `${baseCommit}^`)).toBe(base);
    expect(git('show', `${baseCommit}:prob/program.py`)).toBe('x = 5');
    expect(git('show', `${baseCommit}:prob/lib/new.py`)).toBe('z = 0');
    expect(git('ls-tree', '-r', '--name-only', baseCommit).split('\n')).not.toContain('prob/lib/util.py');
    expect(git('rev-parse', 'HEAD')).toBe(base);
    expect(git('status', '--porcelain')).toBe(status);
    expect(git('fsck', '--strict', '--no-dangling', '--no-progress')).toBe('');
  });

  it('a staged rename counts both paths as changed', async () => {
    renameSync(path.join(problem, 'lib', 'util.py'), path.join(problem, 'lib', 'helpers.py'));
    git('add', '-A');
    expect((await changedPaths(repo, 'prob')).sort()).toEqual(['prob/lib/helpers.py', 'prob/lib/util.py']);
    const { baseCommit } = await resolveBase(problem, matters, true);
    const files = git('ls-tree', '-r', '--name-only', baseCommit).split('\n');
    expect(files).toContain('prob/lib/helpers.py');
    expect(files).not.toContain('prob/lib/util.py');
  });
});
