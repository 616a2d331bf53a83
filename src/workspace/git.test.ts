// Every git command evoloop runs: a scrubbed environment, and none of the programs a
// repository's config can make git run (hooks, fsmonitor, filters, external diff).
// Each case has its control: the same command run plainly does run the program.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { changedPaths, git } from './git.js';

let tmp: string;
let repo: string;
let marker: string;
const ENV = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@l', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@l' };
const plain = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8', env: ENV });
/** A program the repository's config names: it leaves a marker when git runs it. */
const evil = (name: string) => {
  const file = path.join(tmp, name);
  writeFileSync(file, `#!/bin/sh\necho ${name} >> '${marker}'\ncat\n`, { mode: 0o755 });
  return file;
};

beforeEach(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'evoloop-git-'));
  repo = path.join(tmp, 'repo');
  marker = path.join(tmp, 'marker');
  mkdirSync(repo);
  plain('init', '-q', '-b', 'main');
  writeFileSync(path.join(repo, 'a.txt'), 'a\n');
  plain('add', '-A');
  plain('commit', '-q', '-m', 'base');
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

describe('git()', () => {
  it("passes git nothing of the caller's environment but PATH, HOME, LANG and TMPDIR", async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      OPENAI_API_KEY: 'sk-secret-0123456789',
      GIT_DIR: '/nonexistent/from-the-caller',
      GIT_WORK_TREE: '/tmp',
      GIT_INDEX_FILE: '/tmp/index',
    });
    try {
      const env = (await git(repo, ['-c', 'alias.envdump=!env', 'envdump'])).stdout;
      expect(env).not.toContain('sk-secret');
      expect(env).not.toMatch(/GIT_(DIR|WORK_TREE|INDEX_FILE)=/);
      expect(env).toContain(process.env.PATH); // git puts its own exec dir in front
      expect(env).toMatch(/^GIT_CONFIG_NOSYSTEM=1$/m);
      expect(env).toContain("'core.hooksPath'='/dev/null' 'core.fsmonitor'='false'"); // and handed on to any git it starts
    } finally {
      process.env = saved;
    }
  });

  it('never runs a hook or a configured fsmonitor (control: plain git status runs it)', async () => {
    plain('config', 'core.fsmonitor', evil('fsmonitor'));
    writeFileSync(path.join(repo, 'a.txt'), 'changed\n');
    expect(await changedPaths(repo, '')).toEqual(['a.txt']);
    await git(repo, ['rev-parse', 'HEAD']);
    expect(existsSync(marker)).toBe(false);
    plain('status', '--porcelain');
    expect(existsSync(marker)).toBe(true);
  });

  it("empties the repository's filter drivers for status (control: plain git status runs the clean filter)", async () => {
    writeFileSync(path.join(repo, '.gitattributes'), '*.txt filter=evil\n');
    plain('config', 'filter.evil.clean', evil('clean'));
    plain('config', 'filter.evil.required', 'true');
    writeFileSync(path.join(repo, 'a.txt'), 'a\n'); // same content, new mtime: status must look inside
    expect(await changedPaths(repo, '')).toEqual(['.gitattributes']);
    expect(existsSync(marker)).toBe(false);
    plain('status', '--porcelain');
    expect(existsSync(marker)).toBe(true);
  });

  it('shows diffs without an external diff program or textconv (control: plain git diff runs it)', async () => {
    plain('config', 'diff.external', evil('external-diff'));
    writeFileSync(path.join(repo, 'a.txt'), 'changed\n');
    expect((await git(repo, ['diff'])).stdout).toMatch(/-a\n\+changed/);
    expect(existsSync(marker)).toBe(false);
    plain('diff');
    expect(existsSync(marker)).toBe(true);
  });

  it('refuses to run in a pooled worktree', async () => {
    const pooled = path.join(repo, '.evoloop', 'worktrees', '0');
    mkdirSync(pooled, { recursive: true });
    await expect(git(pooled, ['status'])).rejects.toThrow(/git must never run in a pooled worktree/);
  });
});
