// Commits written straight into the object database must be exactly what git itself
// would write: valid (git fsck), showing the change, and with the same tree hash.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobSha, ObjectWriter } from './git-objects.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'evoloop-objects-'));
const repo = path.join(tmp, 'repo');
const ENV = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@l', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@l' };
const git = (args: string[], env: NodeJS.ProcessEnv = {}) => execFileSync('git', args, { cwd: repo, encoding: 'utf8', env: { ...ENV, ...env } }).trim();

const BASE: Record<string, string> = {
  'README.md': '# repo\n',
  'a.txt': 'a\n',
  'a-b/x.txt': 'ab\n',
  'src/a.js': 'export const a = 1;\n',
  'src/lib/b.js': 'export const b = 2;\n',
  'src/lib/c.js': 'export const c = 3;\n',
  'docs/guide.md': 'guide\n',
  'run.sh': '#!/bin/sh\necho hi\n',
};
let base: string;

beforeAll(() => {
  mkdirSync(repo);
  git(['init', '-q', '-b', 'main']);
  for (const [p, content] of Object.entries(BASE)) {
    mkdirSync(path.dirname(path.join(repo, p)), { recursive: true });
    writeFileSync(path.join(repo, p), content);
  }
  chmodSync(path.join(repo, 'run.sh'), 0o755);
  symlinkSync('src/a.js', path.join(repo, 'link.js'));
  git(['add', '-A']);
  git(['commit', '-q', '-m', 'base']);
  base = git(['rev-parse', 'HEAD']);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The tree git itself builds for the base with `files` replaced, added or (null) removed, via a scratch index. */
function gitTree(files: Record<string, string | null>): string {
  const env = { GIT_INDEX_FILE: path.join(tmp, `index-${Math.random()}`) };
  git(['read-tree', base], env);
  for (const [p, content] of Object.entries(files)) {
    if (content === null) {
      git(['update-index', '--force-remove', p], env);
      continue;
    }
    const blobFile = path.join(tmp, 'blob');
    writeFileSync(blobFile, content);
    const sha = git(['hash-object', '-w', blobFile]);
    const mode = git(['ls-tree', base, '--', p]).split(' ')[0] || '100644';
    git(['update-index', '--add', '--cacheinfo', `${mode},${sha},${p}`], env);
  }
  return git(['write-tree'], env);
}

const open = () => ObjectWriter.open(repo, path.join(repo, '.git'), base);

const CASES: [string, Record<string, string | null>][] = [
  ['no change', {}],
  ['one file deep in a tree', { 'src/lib/b.js': 'export const b = 20;\n' }],
  ['several files in several trees', { 'src/a.js': 'export const a = 10;\n', 'src/lib/c.js': '', 'README.md': '# changed\n' }],
  ['a new file in new nested folders', { 'src/new/deep/d.js': 'export const d = 4;\n' }],
  // "a" as a folder sorts as "a/", after "a-b" and "a.txt": the order git uses.
  ['a new folder whose name prefixes other entries', { 'a/inner.txt': 'inner\n', 'a.txt0': 'x\n' }],
  ['an executable file keeps its mode', { 'run.sh': '#!/bin/sh\necho changed\n' }],
  ['non-ASCII names and content', { 'docs/ünïcødé.md': 'Σ → ∞ 🚀\n', 'docs/guide.md': 'naïve\r\nwindows line\r\n' }],
  ['a deleted file', { 'src/lib/c.js': null }],
  // git stores no empty trees: deleting a folder's only file removes the folder.
  ['deleting the only file of a folder', { 'docs/guide.md': null, 'a-b/x.txt': null }],
];

describe('ObjectWriter', () => {
  for (const [name, files] of CASES) {
    it(`writes the tree git would write: ${name}`, async () => {
      const writer = await open();
      expect(writer.writeTree(files)).toBe(gitTree(files));
    });
  }

  it('writes commits that git accepts and shows as the change', async () => {
    git(['config', 'user.name', 'Ada Lovelace']);
    git(['config', 'user.email', 'ada@example.org']);
    const writer = await open();
    const files = { 'src/lib/b.js': 'export const b = 42;\n', 'src/new.js': 'new\n', 'run.sh': '#!/bin/sh\necho bye\n' };
    const commit = writer.writeCommit(writer.writeTree(files), [base], 'tune: b 2 → 42\n\nEvoloop-Candidate: 7');
    writer.setRef('refs/evoloop/run1/7', commit);

    expect(git(['fsck', '--strict', '--no-dangling', '--no-progress'])).toBe('');
    expect(git(['cat-file', '-t', commit])).toBe('commit');
    expect(git(['rev-parse', 'refs/evoloop/run1/7'])).toBe(commit);
    expect(git(['rev-parse', `${commit}^`])).toBe(base);
    expect(git(['log', '-1', '--format=%s|%b|%an <%ae>', commit])).toBe('tune: b 2 → 42|Evoloop-Candidate: 7\n|Ada Lovelace <ada@example.org>');
    expect(git(['diff', '--name-status', base, commit]).split('\n').sort()).toEqual(['A\tsrc/new.js', 'M\trun.sh', 'M\tsrc/lib/b.js']);
    expect(git(['show', `${commit}:src/lib/b.js`])).toBe('export const b = 42;');
    expect(git(['show', commit, '--', 'src/lib/b.js'])).toMatch(/-export const b = 2;\n\+export const b = 42;/);
    expect(git(['ls-tree', commit, 'run.sh']).split(' ')[0]).toBe('100755');
    expect(git(['ls-tree', commit, 'link.js']).split(' ')[0]).toBe('120000');
  });

  it('authors commits as evoloop when git has no identity for the user', async () => {
    git(['config', '--unset', 'user.name']);
    const home = process.env.HOME;
    process.env.HOME = mkdtempSync(path.join(tmpdir(), 'evoloop-home-'));
    try {
      const writer = await open();
      const commit = writer.writeCommit(writer.writeTree({ 'a.txt': 'x\n' }), [base], 'x');
      expect(git(['log', '-1', '--format=%an <%ae>|%cn <%ce>', commit])).toBe('evoloop <evoloop@localhost>|evoloop <evoloop@localhost>');
    } finally {
      rmSync(process.env.HOME, { recursive: true, force: true });
      process.env.HOME = home;
    }
  });

  it('chains commits: a child recorded on its parent commit', async () => {
    const writer = await open();
    const parent = writer.writeCommit(writer.writeTree({ 'a.txt': 'one\n' }), [base], 'one');
    const child = writer.writeCommit(writer.writeTree({ 'a.txt': 'two\n' }), [parent], 'two');
    expect(git(['rev-list', '--count', `${base}..${child}`])).toBe('2');
    expect(git(['diff', parent, child])).toMatch(/-one\n\+two/);
    expect(git(['fsck', '--strict', '--no-dangling', '--no-progress'])).toBe('');
  });

  it('lists the base files and their modes', async () => {
    const writer = await open();
    expect(writer.baseFiles().sort()).toEqual([...Object.keys(BASE), 'link.js'].sort());
    expect(writer.baseMode('run.sh')).toBe('100755');
    expect(writer.baseMode('src/lib/b.js')).toBe('100644');
    expect(writer.baseMode('src/nope.js')).toBeUndefined();
  });

  it('moves a ref that git had packed', async () => {
    const writer = await open();
    const first = writer.writeCommit(writer.writeTree({ 'a.txt': '1\n' }), [base], '1');
    writer.setRef('refs/heads/packed-test', first);
    git(['pack-refs', '--all']);
    const second = writer.writeCommit(writer.writeTree({ 'a.txt': '2\n' }), [base], '2');
    writer.setRef('refs/heads/packed-test', second);
    expect(git(['rev-parse', 'packed-test'])).toBe(second);
  });

  it('writes objects and refs again after a git gc removed the folders it had made', async () => {
    const writer = await open();
    // Two blobs in the same fan-out folder: the writer made it for the first, gc empties and removes it.
    const prefix = blobSha(Buffer.from('gc-0\n')).slice(0, 2);
    let n = 1;
    while (blobSha(Buffer.from(`gc-${n}\n`)).slice(0, 2) !== prefix) n++;
    const first = writer.writeCommit(writer.writeTree({ 'a.txt': 'gc-0\n' }), [base], 'first');
    writer.setRef('refs/evoloop/gc-run/candidates/1', first);
    git(['pack-refs', '--all']);
    git(['gc', '-q', '--prune=now']);
    rmSync(path.join(repo, '.git', 'refs', 'evoloop'), { recursive: true, force: true });
    expect(existsSync(path.join(repo, '.git', 'objects', prefix))).toBe(false);
    const second = writer.writeCommit(writer.writeTree({ 'a.txt': `gc-${n}\n` }), [base], 'second');
    writer.setRef('refs/evoloop/gc-run/candidates/2', second);
    expect(git(['rev-parse', 'refs/evoloop/gc-run/candidates/2'])).toBe(second);
    expect(git(['show', `${second}:a.txt`])).toBe(`gc-${n}`);
    expect(git(['rev-parse', 'refs/evoloop/gc-run/candidates/1'])).toBe(first); // packed by gc, still there
    expect(git(['fsck', '--strict', '--no-dangling', '--no-progress'])).toBe('');
  });

  it('writes an object once (same content, same file)', async () => {
    const writer = await open();
    const t1 = writer.writeTree({ 'a.txt': 'same\n' });
    const t2 = writer.writeTree({ 'a.txt': 'same\n' });
    expect(t1).toBe(t2);
    expect(git(['count-objects', '-v'])).not.toMatch(/garbage: [1-9]/);
  });
});
