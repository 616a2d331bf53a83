// What the CLI says, where a new user stumbled: gains when nothing improved, champions told once, init's paths.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createProblem } from '../support/problem.js';

describe('run and status wording', () => {
  it('a champion is one line of the run, and status states no gain when nothing beat the baseline', async () => {
    // A fixed seed: six draws from a random one sometimes improve nothing.
    const p = createProblem({ config: { budget: { candidates: 6 }, search: { strategy: 'greedy', parallel: 1, seed: 1 } } });
    try {
      const r = await p.cli('run', '{dir}');
      expect(r.code, r.stderr).toBe(0);
      const champions = [...r.stdout.matchAll(/^#(\d+) accepted ★ new champion: \S+ → \S+$/gm)].map((m) => m[1]);
      expect(champions.length).toBeGreaterThan(0);
      for (const id of champions) expect(r.stdout.match(new RegExp(`^.*#${id}\\b.*$`, 'gm'))).toHaveLength(1);
      expect(r.stdout).not.toMatch(/not better by -/);
      const status = (await p.cli('status', '{dir}')).stdout;
      expect(status).toMatch(/^baseline \S+ → best \S+ \(\+\S+, \d+\.\d% better; maximize\) \(candidate \d+\)$/m);

      const flat = createProblem({ files: { 'verifier/score.sh': `#!/bin/sh\necho '{"score": 1}'\n` }, config: { budget: { candidates: 3 } } });
      try {
        const f = await flat.cli('run', '{dir}');
        expect(f.stdout).toMatch(/rejected \(tune\): naive rule: median unchanged, no significance test/);
        const s = (await flat.cli('status', '{dir}')).stdout;
        expect(s).toMatch(/^baseline 1; no candidate beat it$/m);
        expect(s).not.toMatch(/0\.0% better/);
      } finally {
        flat.cleanup();
      }
    } finally {
      p.cleanup();
    }
  }, 60_000);
});

describe('init wording', () => {
  it('names every file it wrote with its folder', async () => {
    const p = createProblem();
    try {
      const r = await p.cli('init', path.join(p.repo, 'fresh'));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^wrote fresh\/evoloop\.yaml, fresh\/verifier\/score\.\w+ and fresh\/\.gitignore\.$/m);
    } finally {
      p.cleanup();
    }
  });
});
