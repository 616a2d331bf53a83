import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync, cpSync, symlinkSync, utimesSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { IntegrityGuard, protectedTrees } from './integrity.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

const BASE = { 'verifier/score.py': 'print(1)\n', 'verifier/data/cases.json': '[1,2]\n', 'check.py': 'import helper\n' };
const ALL = [...Object.keys(BASE), 'solver.py', 'README.md'];

/** A worktree-like problem folder holding the base files, and a guard for it. */
function setup() {
  const tmp = mkdtempSync(path.join(tmpdir(), 'evoloop-integrity-'));
  dirs.push(tmp);
  const problem = path.join(tmp, 'problem');
  for (const [p, c] of Object.entries({ ...BASE, 'solver.py': 'x = 1\n', 'README.md': '#\n' })) {
    mkdirSync(path.dirname(path.join(problem, p)), { recursive: true });
    writeFileSync(path.join(problem, p), c);
  }
  const guard = IntegrityGuard.create(BASE, ALL, path.join(tmp, 'copies'));
  return { problem, guard, file: (p: string) => path.join(problem, p) };
}

describe('protectedTrees', () => {
  it('finds the topmost folders holding only protected files, never the problem folder', () => {
    expect(protectedTrees(Object.keys(BASE), ALL)).toEqual(['verifier']);
    expect(protectedTrees(['a/b/x', 'a/y'], ['a/b/x', 'a/y', 'a/z'])).toEqual(['a/b']);
    expect(protectedTrees(['top.py'], ['top.py', 'solver.py'])).toEqual([]);
  });
});

describe('IntegrityGuard', () => {
  it('binds protected trees as whole folders and lone protected files alone', () => {
    const { guard, problem } = setup();
    const binds = guard
      .binds(problem)
      .map((b) => path.relative(problem, b.target))
      .sort();
    expect(binds).toEqual(['check.py', 'verifier']);
    expect(statSync(guard.binds(problem).find((b) => b.target.endsWith('verifier'))!.source).isDirectory()).toBe(true);
  });

  it('an untouched worktree is clean, before and after', () => {
    const { guard, problem } = setup();
    const before = guard.listing(problem);
    expect(guard.changed(problem, before)).toEqual([]);
  });

  it('a new file in a protected tree (a shadowing module, a __pycache__) is tampering', () => {
    const { guard, problem, file } = setup();
    const before = guard.listing(problem);
    mkdirSync(file('verifier/__pycache__'));
    writeFileSync(file('verifier/__pycache__/score.cpython-311.pyc'), 'evil');
    writeFileSync(file('verifier/json.py'), 'evil');
    expect(guard.changed(problem, before)).toEqual(expect.arrayContaining(['verifier/json.py (added)', 'verifier/__pycache__ (added)']));
    // Even without the before listing (e.g. planted by an earlier stage), the base says what belongs.
    expect(guard.changed(problem)).toEqual(expect.arrayContaining(['verifier/json.py (added)', 'verifier/__pycache__/score.cpython-311.pyc (added)']));
  });

  it('a folder renamed away, replaced and renamed back is caught although the content is the base again', () => {
    const { guard, problem, file } = setup();
    const before = guard.listing(problem);
    renameSync(file('verifier'), file('verifier.orig'));
    cpSync(file('verifier.orig'), file('verifier'), { recursive: true });
    writeFileSync(file('verifier/score.py'), 'print(1000)\n');
    rmSync(file('verifier'), { recursive: true });
    renameSync(file('verifier.orig'), file('verifier'));
    expect(guard.changed(problem)).toEqual([]); // content and listing are the base's again...
    expect(guard.changed(problem, before)).toContain('verifier (replaced or rewritten)'); // ...but the stat history is not
  });

  it('a rewrite that restores size and mtime is caught by content; a deleted or linked file too', () => {
    const { guard, problem, file } = setup();
    const st = statSync(file('verifier/score.py'));
    writeFileSync(file('verifier/score.py'), 'print(9)\n');
    utimesSync(file('verifier/score.py'), st.atime, st.mtime);
    expect(guard.changed(problem)).toEqual(['verifier/score.py']);
    rmSync(file('check.py'));
    symlinkSync('/etc/hostname', file('check.py'));
    expect(guard.changed(problem)).toContain('check.py (no longer a regular file)');
    rmSync(file('verifier/data/cases.json'));
    expect(guard.changed(problem)).toContain('verifier/data/cases.json (deleted)');
  });

  it('a code file created during a stage beside a lone protected file is tampering; other outputs are not', () => {
    const { guard, problem, file } = setup();
    const before = guard.listing(problem);
    writeFileSync(file('results.txt'), 'fine');
    expect(guard.changed(problem, before)).toEqual([]);
    writeFileSync(file('helper.py'), 'def ok(): return True');
    expect(guard.changed(problem, before)).toEqual(['helper.py (code beside a protected file, added while the stage ran)']);
  });
});
