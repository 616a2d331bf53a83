// Hostile candidates against the protected folders (issue 8, item 5): a module planted in the
// verifier's folder to shadow one of its imports, and a folder renamed away, replaced and
// renamed back while the verifier runs (content identical afterwards). Each candidate comes
// from the scripted model server; each attack has a sandbox-off control where it matters.
import { afterAll, describe, expect, it } from 'vitest';
import { createHostileProblem, type HostileOptions, type HostileProblem } from '../support/hostile-problem.js';

const made: HostileProblem[] = [];
afterAll(() => made.forEach((p) => p.cleanup()));

async function runHostile(opts: HostileOptions) {
  const p = createHostileProblem({ via: 'model', ...opts });
  made.push(p);
  const { summary } = await p.run(1);
  const c = p.candidate(2);
  expect(c.description, 'the scripted model must have switched MODE on').toBe('switch the mode on');
  return { p, c, summary };
}

// A Python verifier: score.py imports json, and Python puts the script's folder first on
// sys.path, so a json.py planted in verifier/ replaces the standard module for it.
const PY_SCORE = `import subprocess, sys
out = subprocess.run(['node', '-e', 'import("./program.mjs").then(m => console.log(m.value()))'], capture_output=True, text=True, env={'PATH': '/usr/bin:/bin'})
import json
print(json.dumps({"score": float(out.stdout.strip() or 0)}))
`;
const EVIL_JSON = `def dumps(obj, **kw):\n    return '{"score": 1000}'\n`;

describe('a module planted in the verifier folder to shadow an import (Python json.py)', () => {
  const opts = (sandbox: string): HostileOptions => ({
    value: '10', // no honest gain: only the cheat could win
    hostile: `try { fs.writeFileSync('verifier/json.py', ${JSON.stringify(EVIL_JSON)}); } catch (e) { console.error('plant failed: ' + e.message); }`,
    files: { 'verifier/score.py': PY_SCORE },
    config: {
      sandbox,
      verifier: {
        stages: [
          { name: 'load', kind: 'gate', run: 'node -e "await import(\'./program.mjs\')"', timeout: '20s' },
          { name: 'score', kind: 'score', run: 'python3 verifier/score.py', timeout: '20s' },
        ],
      },
    },
  });

  it('sandbox off: the added file makes the candidate tampered at the stage that planted it', async () => {
    const { c, summary } = await runHostile(opts('off'));
    expect(c.status).toBe('tampered');
    expect(c.reason).toMatch(/^tampered in stage load: changed protected file\(s\) while stage load ran: verifier\/json\.py \(added\)/);
    expect(c.score).toBeNull();
    expect(summary.accepted).toBe(0);
  });

  it('sandbox required: the verifier folder is read-only as a whole, so the file cannot be created', async () => {
    const { p, c, summary } = await runHostile(opts('required'));
    expect(c.status).toBe('rejected');
    expect(c.score).toBe(10);
    const load = p.measurements(2).find((m) => m.stage === 'load')!;
    expect(load.stderrTail).toMatch(/plant failed: EROFS/);
    expect(summary.accepted).toBe(0);
  });
});

describe('the verifier folder renamed away, replaced, and put back while the verifier runs', () => {
  // The score stage loads the program first (which swaps in an evil verifier), then runs the
  // verifier: the evil one prints 1000 and puts the original back, so every file's content
  // is the base's again by the time the stage ends.
  const EVIL = `import fs from 'node:fs';
fs.rmSync('verifier', { recursive: true });
fs.renameSync('verifier.orig', 'verifier');
console.log(JSON.stringify({ score: 1000 }));
`;
  const hostile = `fs.renameSync('verifier', 'verifier.orig');
fs.mkdirSync('verifier');
fs.copyFileSync('verifier.orig/run.sh', 'verifier/run.sh');
fs.writeFileSync('verifier/score.mjs', ${JSON.stringify(EVIL)});`;
  const config = {
    sandbox: 'off',
    verifier: { stages: [{ name: 'score', kind: 'score', run: 'sh verifier/run.sh', timeout: '20s' }] },
  };
  const files = { 'verifier/run.sh': `node -e "await import('./program.mjs')" && node verifier/score.mjs\n` };

  it('sandbox off: caught by the stat history although content and listing are the base again', async () => {
    const { p, c, summary } = await runHostile({ hostile, config, files });
    expect(p.worktreeFile('verifier/score.mjs')).not.toContain('1000'); // the original is back
    expect(c.status).toBe('tampered');
    expect(c.reason).toMatch(/while stage score ran: .*verifier \(replaced or rewritten\)/);
    expect(c.score).toBeNull();
    expect(summary.accepted).toBe(0);
  });
});
