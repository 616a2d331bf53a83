// The git side of a run against a real repository: the base, the reusable worktree
// pool, materializing and recording candidates, apply's branch, and dirty-tree rules.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../core/errors.js';
import { allocatedBytes } from '../evaluate/disk-usage.js';
import { changedPaths, repoInfo } from './git.js';
import { resolveBase } from './run-base.js';
import { Workspace } from './workspace.js';

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
const mkfifo = (file: string) => execFileSync('mkfifo', [file]);

/** Every entry under a folder: kind, mode bits git keeps, and content or link target. */
function treeOf(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const abs = path.join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(abs);
      if (st.isDirectory()) {
        if (r === 'prob/.evoloop') continue; // the checkout's own state folder, not in the base
        out[r] = 'dir';
        walk(abs, r);
      } else if (st.isSymbolicLink()) out[r] = `link ${readlinkSync(abs)}`;
      else out[r] = `${st.mode & 0o100 ? 'exec' : 'file'} ${readFileSync(abs, 'utf8')}`;
    }
  };
  walk(root, '');
  return out;
}

/** The base commit as treeOf would show its checkout. */
function baseTree(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of git('ls-tree', '-r', '-t', '-z', base).split('\0').filter(Boolean)) {
    const [meta, p] = line.split('\t');
    const [mode, , sha] = meta.split(' ');
    const content = () => execFileSync('git', ['cat-file', 'blob', sha], { cwd: repo, encoding: 'utf8' });
    out[p] = mode === '040000' || mode === '160000' ? 'dir' : mode === '120000' ? `link ${content()}` : `${mode === '100755' ? 'exec' : 'file'} ${content()}`;
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

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

  it('pools plain folders: at most poolSize, reused after release, no .git in them and none registered with git', async () => {
    const ws = await open(2);
    const a = await ws.acquire();
    const b = await ws.acquire();
    expect(a.root).not.toBe(b.root);
    expect(a.problemDir).toBe(path.join(a.root, 'prob'));
    expect(readFileSync(path.join(a.problemDir, 'program.py'), 'utf8')).toBe('x = 1\n');
    expect(readFileSync(path.join(a.root, 'outside.txt'), 'utf8')).toBe('not part of the problem\n'); // the whole tree

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
    expect(git('worktree', 'list').split('\n')).toHaveLength(1); // only the checkout
    expect(existsSync(path.join(a.root, '.git'))).toBe(false);
    // A git command run inside one (by a verifier, an agent) stops above the pool, never reaching the checkout.
    const inside = spawnSync('git', ['status'], { cwd: a.problemDir, encoding: 'utf8' });
    expect(inside.status).not.toBe(0);
    expect(inside.stderr).toMatch(/not a git repository: \/evoloop-pooled-worktrees-are-not-git-repositories/);
  });

  it('hands out a worktree exactly at the base: changes, untracked and ignored files, links, modes and a planted .git all gone', async () => {
    const ws = await open(1);
    const wt = await ws.acquire();
    ws.materialize(wt, { 'program.py': 'x = 99\n', 'new/dir/extra.py': 'y = 1\n' });
    const p = (rel: string) => path.join(wt.problemDir, rel);
    expect(readFileSync(p('program.py'), 'utf8')).toBe('x = 99\n');
    expect(readFileSync(p('new/dir/extra.py'), 'utf8')).toBe('y = 1\n');
    writeFileSync(p('lib/util.py'), 'tampered\n'); // a verifier scribbling
    writeFileSync(p('stray.log'), 'log\n');
    mkdirSync(p('cache'));
    writeFileSync(p('cache/compiled.bin'), 'planted for the next candidate\n'); // ignored by .gitignore
    rmSync(p('verifier/score.sh'));
    chmodSync(p('lib'), 0o000);
    mkdirSync(path.join(wt.root, '.git', 'hooks'), { recursive: true });
    writeFileSync(path.join(wt.root, '.git', 'config'), '[core]\n\tfsmonitor = /bin/false\n');
    mkfifo(path.join(wt.root, 'pipe'));
    ws.release(wt);

    const again = await ws.acquire();
    expect(again.root).toBe(wt.root);
    expect(treeOf(again.root)).toEqual(baseTree());
    // What the candidate left (evoloop's own writes, program.py and new/, were put back first).
    expect(ws.lastReset(again)).toEqual({
      removed: ['.git', 'pipe', 'prob/cache', 'prob/stray.log'],
      restored: ['prob/lib/util.py', 'prob/verifier/score.sh'],
    });
  });

  it('resets without reading files when only its own files changed, and still catches a same-size edit to another file', async () => {
    const ws = await open(1);
    let wt = await ws.acquire();
    const utilInode = statSync(path.join(wt.problemDir, 'lib', 'util.py')).ino;
    for (let i = 0; i < 3; i++) {
      ws.materialize(wt, { 'program.py': `x = ${i + 5}\n`, 'new/dir/extra.py': 'y = 1\n' });
      ws.release(wt);
      wt = await ws.acquire();
      expect(ws.lastReset(wt)).toEqual({ removed: [], restored: [] }); // the fast path
      expect(treeOf(wt.root)).toEqual(baseTree());
    }
    expect(statSync(path.join(wt.problemDir, 'lib', 'util.py')).ino).toBe(utilInode); // not rewritten
    // Same size, written behind the pool's back: the stat walk (ctime) sees it.
    writeFileSync(path.join(wt.problemDir, 'lib', 'util.py'), 'def f(): return 3\n');
    ws.release(wt);
    wt = await ws.acquire();
    expect(ws.lastReset(wt)).toEqual({ removed: [], restored: ['prob/lib/util.py'] });
    expect(treeOf(wt.root)).toEqual(baseTree());
  });

  it('knows what a proven worktree takes on disk after materialize, exactly as a walk counts it, and tells it once', async () => {
    const ws = await open(1);
    let wt = await ws.acquire();
    expect(ws.takeAllocated(wt)).toBeUndefined(); // a first checkout is proven by hashing, not by the stat walk
    ws.release(wt);
    for (let i = 0; i < 3; i++) {
      wt = await ws.acquire();
      const big = 'z'.repeat(20_000 * (i + 1));
      ws.materialize(wt, { 'program.py': `x = ${i}\n${big}\n`, [`new${i}/deep/extra.py`]: big });
      const known = ws.takeAllocated(wt);
      expect(known).toBe(allocatedBytes([wt.root]));
      expect(ws.takeAllocated(wt)).toBeUndefined(); // the stage that runs next changes it
      ws.release(wt);
    }
    // A worktree the fast path could not prove (a stray file) is not vouched for.
    wt = await ws.acquire();
    writeFileSync(path.join(wt.problemDir, 'stray.txt'), 'x');
    ws.release(wt);
    wt = await ws.acquire();
    expect(ws.takeAllocated(wt)).toBeUndefined();
  });

  it('never writes through a link planted in place of a file or a folder', async () => {
    const victim = path.join(tmp, 'victim.txt');
    writeFileSync(victim, 'the user file\n');
    mkdirSync(path.join(tmp, 'victim-dir'));
    const ws = await open(1);
    let wt = await ws.acquire();
    ws.materialize(wt, { 'program.py': 'x = 2\n' });
    // The candidate swaps the file evoloop wrote (and will write back) for a link.
    rmSync(path.join(wt.problemDir, 'program.py'));
    symlinkSync(victim, path.join(wt.problemDir, 'program.py'));
    expect(ws.audit(wt)).toEqual([`replaced program.py, a file evoloop wrote, with a symlink to ${victim}`]);
    ws.release(wt);
    wt = await ws.acquire();
    expect(readFileSync(victim, 'utf8')).toBe('the user file\n');
    expect(treeOf(wt.root)).toEqual(baseTree());

    // Materializing over a link replaces the link; a folder on the way that is a link is refused.
    symlinkSync(victim, path.join(wt.problemDir, 'new.py'));
    ws.materialize(wt, { 'new.py': 'y = 1\n' });
    expect(readFileSync(victim, 'utf8')).toBe('the user file\n');
    expect(lstatSync(path.join(wt.problemDir, 'new.py')).isFile()).toBe(true);
    rmSync(path.join(wt.problemDir, 'lib'), { recursive: true });
    symlinkSync(path.join(tmp, 'victim-dir'), path.join(wt.problemDir, 'lib'));
    expect(() => ws.materialize(wt, { 'lib/util.py': 'z = 0\n' })).toThrow(/prob\/lib is not a folder \(a symlink\): refusing to write through it/);
    expect(readdirSync(path.join(tmp, 'victim-dir'))).toEqual([]);
    ws.release(wt);
    wt = await ws.acquire();
    expect(treeOf(wt.root)).toEqual(baseTree());
  });

  it('checks out modes, links and submodules as committed, without running filters', async () => {
    put('run.sh', '#!/bin/sh\necho run\n');
    chmodSync(path.join(problem, 'run.sh'), 0o755);
    symlinkSync('program.py', path.join(problem, 'alias.py'));
    writeFileSync(path.join(repo, '.gitattributes'), '*.py filter=evil\n');
    const marker = path.join(tmp, 'filter-ran');
    git('config', 'filter.evil.smudge', `sh -c 'touch ${marker}; cat'`);
    git('add', '-A');
    git('update-index', '--add', '--cacheinfo', `160000,${base},prob/vendored`);
    git('commit', '-q', '-m', 'modes');
    base = git('rev-parse', 'HEAD');
    const ws = await open(1);
    const wt = await ws.acquire();
    expect(statSync(path.join(wt.problemDir, 'run.sh')).mode & 0o777).toBe(0o755);
    expect(statSync(path.join(wt.problemDir, 'program.py')).mode & 0o777).toBe(0o644);
    expect(readlinkSync(path.join(wt.problemDir, 'alias.py'))).toBe('program.py');
    expect(readdirSync(path.join(wt.problemDir, 'vendored'))).toEqual([]);
    expect(existsSync(marker)).toBe(false);
    expect(treeOf(wt.root)).toEqual(baseTree());
  });

  it('reuses the pooled worktrees of an earlier process (checking every file by content), and survives them being deleted', async () => {
    const first = await open(1);
    const wt = await first.acquire();
    const inode = statSync(path.join(wt.problemDir, 'lib', 'util.py')).ino;
    writeFileSync(path.join(wt.problemDir, 'program.py'), 'x = 7\n'); // left behind by a process killed mid-candidate
    first.release(wt);
    const second = await open(1);
    const again = await second.acquire();
    expect(again.root).toBe(wt.root);
    expect(second.lastReset(again)).toEqual({ removed: [], restored: ['prob/program.py'] });
    expect(statSync(path.join(again.problemDir, 'lib', 'util.py')).ino).toBe(inode); // proven by its hash, kept
    expect(treeOf(again.root)).toEqual(baseTree());
    second.release(again);
    rmSync(path.join(problem, '.evoloop'), { recursive: true, force: true });
    const third = await open(1);
    const fresh = await third.acquire();
    expect(readFileSync(path.join(fresh.problemDir, 'program.py'), 'utf8')).toBe('x = 1\n');
  });

  it('replaces a pooled git worktree of an older evoloop and prunes its registration', async () => {
    const old = path.join(problem, '.evoloop', 'worktrees', '0');
    mkdirSync(path.dirname(old), { recursive: true });
    git('worktree', 'add', '--detach', '-q', old, base);
    expect(git('worktree', 'list').split('\n')).toHaveLength(2);
    const ws = await open(1);
    const wt = await ws.acquire();
    expect(wt.root).toBe(old);
    expect(existsSync(path.join(old, '.git'))).toBe(false);
    expect(git('worktree', 'list').split('\n')).toHaveLength(1);
    expect(treeOf(wt.root)).toEqual(baseTree());
  });

  it('rebuilds a worktree that is not a folder any more', async () => {
    const ws = await open(1);
    const wt = await ws.acquire();
    ws.release(wt);
    rmSync(wt.root, { recursive: true });
    symlinkSync(tmp, wt.root);
    const again = await ws.acquire();
    expect(ws.lastReset(again)).toEqual({ removed: [], restored: [], rebuilt: true });
    expect(lstatSync(again.root).isDirectory()).toBe(true);
    expect(existsSync(path.join(tmp, 'prob'))).toBe(false); // nothing written through the link
    expect(treeOf(again.root)).toEqual(baseTree());
  });

  it('audit names a .git where git would look and files evoloop wrote that are no longer files', async () => {
    const ws = await open(1);
    const wt = await ws.acquire();
    ws.materialize(wt, { 'program.py': 'x = 2\n', 'lib/util.py': 'def f(): return 5\n' });
    writeFileSync(path.join(wt.problemDir, 'stray.log'), 'a verifier may leave files\n');
    expect(ws.audit(wt)).toEqual([]);
    writeFileSync(path.join(wt.root, '.git'), `gitdir: ${path.join(repo, '.git')}\n`);
    mkdirSync(path.join(wt.problemDir, '.git'));
    rmSync(path.join(wt.problemDir, 'lib', 'util.py'));
    mkdirSync(path.join(wt.problemDir, 'lib', 'util.py'));
    expect(ws.audit(wt)).toEqual([
      'created ../.git (a file) where evoloop keeps no git repository: only useful to make git run candidate code or reach your checkout',
      'created .git (a folder) where evoloop keeps no git repository: only useful to make git run candidate code or reach your checkout',
      'replaced lib/util.py, a file evoloop wrote, with a folder',
    ]);
  });

  it('changes: what differs from the base, ignored additions left out', async () => {
    const ws = await open(1);
    const wt = await ws.acquire();
    ws.materialize(wt, { 'program.py': 'x = 2\n' });
    const p = (rel: string) => path.join(wt.problemDir, rel);
    writeFileSync(p('lib/util.py'), 'changed\n');
    rmSync(p('verifier/score.sh'));
    mkdirSync(p('cache'));
    writeFileSync(p('cache/out.bin'), 'ignored build output\n');
    mkdirSync(p('docs/deep'), { recursive: true });
    writeFileSync(p('docs/deep/new.md'), 'new\n');
    symlinkSync('/etc/passwd', p('notes.txt'));
    mkfifo(p('fifo'));
    rmSync(path.join(wt.root, 'outside.txt'));
    mkdirSync(path.join(wt.root, 'outside.txt')); // a file replaced by a folder is a deletion
    expect(await ws.changes(wt)).toEqual({
      files: ['prob/docs/deep/new.md', 'prob/lib/util.py', 'prob/program.py'],
      deleted: ['outside.txt', 'prob/verifier/score.sh'],
      links: ['prob/notes.txt'],
      special: ['prob/fifo'],
    });
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
