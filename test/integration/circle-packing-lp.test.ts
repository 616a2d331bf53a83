// The shipped circle-packing-lp example, copied into a temp repository: its centres are
// literals and its radii an exact linear program (the `highs` package, reached through the
// repository's node_modules, which the example shows to the sandbox).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createProblem, PROJECT_ROOT } from '../support/problem.js';

const EXAMPLE = path.join(PROJECT_ROOT, 'examples', 'circle-packing-lp');

/** The example in a temp repository at <tmp>/repo/problem, with <tmp>/node_modules where its `sandbox_expose: [../../node_modules]` looks. */
function lpProblem() {
  const p = createProblem({ from: EXAMPLE });
  symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(p.tmp, 'node_modules'));
  return p;
}

const score = (dir: string) => JSON.parse(execFileSync(process.execPath, ['verifier/score.mjs'], { cwd: dir, encoding: 'utf8' }).trim().split('\n').at(-1)!);

describe('the shipped circle-packing-lp example', () => {
  it('has the circle-packing verifier, byte for byte', () => {
    const files = readdirSync(path.join(EXAMPLE, 'verifier')).sort();
    expect(files).toEqual(readdirSync(path.join(PROJECT_ROOT, 'examples', 'circle-packing', 'verifier')).sort());
    for (const f of files) {
      expect(readFileSync(path.join(EXAMPLE, 'verifier', f), 'utf8'), f).toBe(
        readFileSync(path.join(PROJECT_ROOT, 'examples', 'circle-packing', 'verifier', f), 'utf8'),
      );
    }
  });

  it("its baseline passes the verifier, with radii at least as good as circle-packing's rule gives the same centres", () => {
    const p = lpProblem();
    try {
      execFileSync(process.execPath, ['verifier/validate.mjs'], { cwd: p.dir });
      // The same centres as circle-packing's baseline (2.0934 by its always-feasible rule); the LP's radii are optimal for them.
      expect(score(p.dir).sum_radii).toBeGreaterThan(2.0934);
    } finally {
      p.cleanup();
    }
  });

  it('an offline run beats the baseline in the sandbox, and its champion is a valid packing', async () => {
    const p = lpProblem();
    try {
      const r = await p.cli('run', '{dir}', '--max-candidates', '30', '--seed', '1');
      expect(r.code, r.stderr).toBe(0);
      const s = JSON.parse((await p.cli('status', '{dir}', '--json')).stdout);
      expect(s.candidates).toBe(30);
      expect(s.best).toBeGreaterThan(s.baseline);
      expect(s.best).toBeLessThan(2.7); // above the known frontier (2.635) would mean a verifier bug
      expect((await p.cli('apply', 'best', '{dir}', '--branch', 'packing')).code).toBe(0);
      p.git('worktree', 'add', '-q', path.join(p.tmp, 'check', 'repo'), 'packing');
      const dir = path.join(p.tmp, 'check', 'repo', 'problem');
      symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(p.tmp, 'check', 'node_modules'));
      execFileSync(process.execPath, ['verifier/validate.mjs'], { cwd: dir });
      expect(score(dir).sum_radii).toBeCloseTo(s.best, 9);
    } finally {
      p.cleanup();
    }
  }, 180_000);
});
