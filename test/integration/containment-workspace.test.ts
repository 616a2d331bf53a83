// Hostile candidates against the worktree pool, end to end through the scripted model
// (parallel 1, so every candidate reuses pooled worktree 0 and each later one starts from
// a reset of what the earlier one left). A pooled worktree is a plain folder with no `.git`,
// reset exactly to the base by evoloop itself: no git command ever runs in it, nothing a
// candidate leaves survives into the next one, and evoloop never writes through a link.
//
// Each problem's block holds MODE (the model's first two replies set it to 1, then -1:
// hostile) and K (the third reply sets it to 1: an honest change that scores 11). A hostile
// candidate scores 10, as the base does, so it is never better and the honest candidate 4
// always has the base as its parent and measures in the worktree the hostile ones used.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHostileProblem, MODE_ON_REPLY, type HostileOptions, type HostileProblem } from '../support/hostile-problem.js';

const made: HostileProblem[] = [];
afterAll(() => made.forEach((p) => p.cleanup()));

const edit = (search: string, replace: string, idea: string) => `Idea: ${idea}\nprogram.mjs\n<<<<<<< SEARCH\n${search}\n=======\n${replace}\n>>>>>>> REPLACE\n`;
const REPLIES = [
  MODE_ON_REPLY,
  edit('const MODE = 0; // evoloop: -1..1', 'const MODE = -1; // evoloop: -1..1', 'the other mode'),
  edit('const K = 0;', 'const K = 1;', 'raise K'),
];
const BLOCK = 'const MODE = 0; // evoloop: -1..1\nconst K = 0;';

/** Runs candidates 2 (MODE 1), 3 (MODE -1) and 4 (K 1, honest) of a fresh problem. */
async function runThree(opts: HostileOptions, before?: (p: HostileProblem) => void) {
  const p = createHostileProblem({ via: 'model', replies: REPLIES, block: BLOCK, value: 'hostile ? 10 : 10 + K', ...opts });
  made.push(p);
  before?.(p);
  const userState = () => ({
    head: p.git('rev-parse', 'HEAD'),
    status: p.git('status', '--porcelain', '--untracked-files=all'),
    staged: p.git('diff', '--cached'),
  });
  const userBefore = userState();
  const { summary } = await p.run(3);
  const [c2, c3, c4] = [2, 3, 4].map((id) => p.candidate(id));
  expect(c2.description).toBe('switch the mode on');
  expect(c3.description).toBe('the other mode');
  expect(c4.description).toBe('raise K');
  return { p, c2, c3, c4, summary, userBefore, userAfter: userState() };
}

/** The honest candidate measured normally: the score of K = 1, accepted, nothing left of the others. */
function expectHonestAfter(c4: ReturnType<HostileProblem['candidate']>) {
  expect(c4.parentId).toBe(1);
  expect(c4.score).toBe(11);
  expect(c4.status).toBe('accepted');
}

describe('(a) a candidate that plants a git repository with a hook and core.fsmonitor at its worktree root', () => {
  // Old pools: the slow reset ran `git reset --hard` there, on the host, with evoloop's environment.
  const hostile = `
const root = path.resolve('..');
console.error('root .git at start: ' + (fs.existsSync(path.join(root, '.git')) ? 'yes' : 'none'));
fs.rmSync(path.join(root, '.git'), { recursive: true, force: true });
child_process.execFileSync('git', ['init', '-q', root]);
// Borrow the user's objects, so that a git reset to the base commit would succeed in it.
let up = root;
while (up !== '/' && !fs.statSync(path.join((up = path.dirname(up)), '.git'), { throwIfNoEntry: false })?.isDirectory());
fs.writeFileSync(path.join(root, '.git', 'objects', 'info', 'alternates'), path.join(up, '.git', 'objects') + '\\n');
const evil = path.join(root, '.git', 'evil.sh');
fs.writeFileSync(evil, '#!/bin/sh\\nenv > {tmp}/git-env.txt\\necho ran >> {tmp}/marker\\n', { mode: 0o755 });
for (const hook of ['reference-transaction', 'post-checkout', 'post-index-change']) fs.copyFileSync(evil, path.join(root, '.git', 'hooks', hook));
for (const hook of ['reference-transaction', 'post-checkout', 'post-index-change']) fs.chmodSync(path.join(root, '.git', 'hooks', hook), 0o755);
child_process.execFileSync('git', ['-C', root, 'config', 'core.fsmonitor', evil]);
fs.appendFileSync(path.join(root, 'README.md'), 'dirty, so the old fast reset could not prove the worktree clean\\n');`;
  let r: Awaited<ReturnType<typeof runThree>>;
  beforeAll(async () => {
    r = await runThree({ hostile });
  }, 120_000);

  it('contained: the planted program never runs, the next candidates start without the .git and measure normally', () => {
    expect(existsSync(path.join(r.p.tmp, 'marker'))).toBe(false);
    expect(existsSync(path.join(r.p.tmp, 'git-env.txt'))).toBe(false);
    const score3 = r.p.measurements(3).find((m) => m.stage === 'score')!;
    expect(score3.stderrTail).toContain('root .git at start: none');
    expect(r.c2.status).not.toBe('accepted');
    expect(r.c3.status).not.toBe('accepted');
    expectHonestAfter(r.c4);
    expect(r.userAfter).toEqual(r.userBefore);
  });

  // Recorded through Workspace.audit(), which the evaluator calls after every stage.
  it('recorded: the candidates that planted it are tampered, with the reason', () => {
    for (const c of [r.c2, r.c3]) {
      expect(c.status).toBe('tampered');
      expect(c.reason).toMatch(/created \.\.\/\.git \(a folder\) where evoloop keeps no git repository/);
    }
  });
});

describe('(b) a candidate that plants ignored and untracked files for a later candidate to read', () => {
  const block = `${BLOCK}
const PLANTED = ['cache/planted.txt', 'planted-untracked.txt', '../planted-at-root.txt', 'verifier/planted.mjs'].filter((f) => fs.existsSync(f));
console.error('planted at start: ' + (PLANTED.join(',') || 'none'));`;
  const hostile = `
fs.mkdirSync('cache', { recursive: true });
for (const f of ['cache/planted.txt', 'planted-untracked.txt', '../planted-at-root.txt']) fs.writeFileSync(f, 'left for the next candidate');
try { fs.writeFileSync('verifier/planted.mjs', 'export const x = 1;'); } catch {}`;
  let r: Awaited<ReturnType<typeof runThree>>;
  beforeAll(async () => {
    r = await runThree({ hostile, block, value: 'PLANTED.length ? 50 : hostile ? 10 : 10 + K', files: { '.gitignore': 'cache/\n' } });
  }, 120_000);

  it('nothing it planted is there when the next candidates start: the honest one scores 11, not 50', () => {
    expect(r.p.measurements(3).find((m) => m.stage === 'score')!.stderrTail).toContain('planted at start: none');
    expect(r.p.measurements(4).find((m) => m.stage === 'score')!.stderrTail).toContain('planted at start: none');
    expectHonestAfter(r.c4);
    expect(r.summary).toMatchObject({ best: 11, bestCandidate: 4 });
    expect(r.userAfter).toEqual(r.userBefore);
  });
});

describe('(c) a candidate that replaces its own editable file with a symlink to a user file', () => {
  // Candidate 2 links program.mjs to a file in the user's checkout, candidate 3 to one outside
  // the repository. Old pools: the next reset's writeFileSync followed the link.
  const hostile = `
const target = MODE === 1 ? '{tmp}/repo/problem/notes.md' : '{tmp}/outside.txt';
fs.rmSync('program.mjs');
fs.symlinkSync(target, 'program.mjs');`;
  let r: Awaited<ReturnType<typeof runThree>>;
  beforeAll(async () => {
    r = await runThree({ hostile, files: { 'notes.md': 'the user notes\n' } }, (p) =>
      writeFileSync(path.join(p.tmp, 'outside.txt'), 'outside the repository\n'),
    );
  }, 120_000);

  it('contained: both files are unchanged after the run, and the next candidate measures normally', () => {
    expect(readFileSync(path.join(r.p.dir, 'notes.md'), 'utf8')).toBe('the user notes\n');
    expect(readFileSync(path.join(r.p.tmp, 'outside.txt'), 'utf8')).toBe('outside the repository\n');
    expect(r.c2.status).not.toBe('accepted');
    expect(r.c3.status).not.toBe('accepted');
    expectHonestAfter(r.c4);
    expect(r.userAfter).toEqual(r.userBefore);
  });

  // Recorded through Workspace.audit(), which the evaluator calls after every stage.
  it('recorded: the candidates that made the link are tampered, with the reason', () => {
    for (const c of [r.c2, r.c3]) {
      expect(c.status).toBe('tampered');
      expect(c.reason).toMatch(/replaced program\.mjs, a file evoloop wrote, with a symlink to \S*(notes\.md|outside\.txt)/);
    }
  });
});

describe('(d) a candidate that deletes or replaces everything git-related in its worktree, while the user has uncommitted work', () => {
  // Old pools: with the worktree's .git gone, the next `git reset --hard` climbed to the user's checkout.
  const hostile = `
const root = path.resolve('..');
for (const dir of [root, process.cwd()]) {
  for (const name of ['.git', '.gitignore', '.gitattributes', '.gitmodules']) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
}
// Candidate 3: a .git file that names the user's own repository.
if (MODE === -1) fs.writeFileSync(path.join(root, '.git'), 'gitdir: {tmp}/repo/.git\\n');
fs.appendFileSync(path.join(root, 'README.md'), 'dirty, so the old fast reset could not prove the worktree clean\\n');`;
  let r: Awaited<ReturnType<typeof runThree>>;
  beforeAll(async () => {
    r = await runThree({ hostile, files: { 'notes.md': 'committed notes\n' } }, (p) => {
      p.write('notes.md', 'my uncommitted edit\n');
      writeFileSync(path.join(p.repo, 'README.md'), '# edited, not committed\n');
      writeFileSync(path.join(p.repo, 'draft.md'), 'staged, not committed\n');
      p.git('add', 'draft.md');
    });
  }, 120_000);

  it("the user's uncommitted and staged edits survive, HEAD and the index are unchanged", () => {
    expect(readFileSync(path.join(r.p.dir, 'notes.md'), 'utf8')).toBe('my uncommitted edit\n');
    expect(readFileSync(path.join(r.p.repo, 'README.md'), 'utf8')).toBe('# edited, not committed\n');
    expect(readFileSync(path.join(r.p.repo, 'draft.md'), 'utf8')).toBe('staged, not committed\n');
    expect(r.userAfter).toEqual(r.userBefore);
    expect(r.userBefore.status).toMatch(/A {2}draft\.md/);
    expect(r.c2.status).not.toBe('accepted');
    expectHonestAfter(r.c4);
  });

  // Recorded through Workspace.audit(), which the evaluator calls after every stage.
  it('recorded: the candidate that pointed a .git at the user repository is tampered', () => {
    expect(r.c3.status).toBe('tampered');
    expect(r.c3.reason).toMatch(/created \.\.\/\.git \(a file\) where evoloop keeps no git repository/);
  });
});
