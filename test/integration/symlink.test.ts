// A symlink in the base tree must not become a way out of the worktree: a proposal that
// writes through one is rejected before anything is written.
import { existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openStore } from '../../src/store/store.js';
import { createProblem, type Problem } from '../support/problem.js';

const made: Problem[] = [];
afterAll(() => made.forEach((p) => p.cleanup()));

it('a change to an editable path that is a symlink in the base is invalid, and the file it points to is untouched', async () => {
  const p = createProblem({ config: { edit: ['params.txt'], budget: { candidates: 1 } } });
  made.push(p);
  const outside = path.join(p.tmp, 'outside-2.txt');
  writeFileSync(outside, 'export const secret = 1;\n');
  // The link text "../../outside-2.txt" holds the only numeric literal tune can move (a .txt
  // file has no parser, so tune scans its text as before).
  symlinkSync('../../outside-2.txt', path.join(p.dir, 'params.txt'));
  p.git('add', '-A');
  p.git('commit', '-q', '-m', 'add a symlink');

  const r = await p.cli('run', '{dir}');
  expect(r.code, r.stderr).toBe(0);
  const store = openStore(p.dir);
  try {
    const c = store.getCandidate(2)!;
    expect(c.status).toBe('invalid');
    expect(c.reason).toMatch(/params\.txt goes through the symlink params\.txt/);
  } finally {
    store.close();
  }
  expect(readFileSync(outside, 'utf8')).toBe('export const secret = 1;\n');
  expect(existsSync(path.join(p.tmp, 'outside-3.txt'))).toBe(false);
});
