// `evoloop init --edit FILE` writes the verifier in FILE's language, and that verifier works
// as written: it runs the program without the EVOLOOP_* variables and reports through
// $EVOLOOP_METRICS. Left untouched, a run warns that it measures nothing.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/load.js';
import { createProblem, type Problem } from '../support/problem.js';

let p: Problem | undefined;
afterEach(() => p?.cleanup());

/** Each program records which EVOLOOP_* variables it saw, and prints something. */
const PROGRAMS: Record<string, { file: string; verifier: string; run: string; text: string }> = {
  python: {
    file: 'solver.py',
    verifier: 'verifier/score.py',
    run: 'python3 verifier/score.py',
    text: 'import os\nrate = 0.5  # evoloop: 0.05..0.95\nopen(os.environ["SEEN_FILE"], "w").write(",".join(k for k in os.environ if k.startswith("EVOLOOP_")))\nprint(rate)\n',
  },
  node: {
    file: 'solver.mjs',
    verifier: 'verifier/score.mjs',
    run: 'node verifier/score.mjs',
    text: "import { writeFileSync } from 'node:fs';\nconst rate = 0.5; // evoloop: 0.05..0.95\nwriteFileSync(process.env.SEEN_FILE, Object.keys(process.env).filter((k) => k.startsWith('EVOLOOP_')).join(','));\nconsole.log(rate);\n",
  },
  shell: {
    file: 'solver.sh',
    verifier: 'verifier/score.sh',
    run: 'sh verifier/score.sh',
    text: 'rate=0.5  # evoloop: 0.05..0.95\nenv | sed -n "s/^\\(EVOLOOP_[A-Z_]*\\)=.*/\\1/p" | tr "\\n" , > "$SEEN_FILE"\necho "$rate"\n',
  },
};

it.each(Object.keys(PROGRAMS))('init --edit writes a %s verifier that follows the contract and keeps EVOLOOP_* from the program', async (language) => {
  const { file, verifier, run, text } = PROGRAMS[language];
  p = createProblem();
  const dir = path.join(p.repo, 'mine');
  const r = await p.cli('init', dir, '--edit', file);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toContain(verifier);
  expect(loadConfigFile(path.join(dir, 'evoloop.yaml')).verifier.stages[0]).toMatchObject({ run, kind: 'score' });
  // the modeline of the evoloop.yaml points at the schema init wrote, with hover text
  expect(readFileSync(path.join(dir, 'evoloop.yaml'), 'utf8')).toMatch(/^# yaml-language-server: \$schema=\.evoloop\/evoloop\.schema\.json\n/);
  const schema = JSON.parse(readFileSync(path.join(dir, '.evoloop', 'evoloop.schema.json'), 'utf8'));
  expect(schema.properties.budget.properties.usd.description).toBe('stop before spending more on model calls');
  const template = readFileSync(path.join(dir, verifier), 'utf8');
  expect(template).toContain('$EVOLOOP_METRICS');
  expect(template).toMatch(/evoloop: 0\.05\.\.0\.95/);
  expect(template).toMatch(/clean environment: without the EVOLOOP_\* variables/);

  writeFileSync(path.join(dir, file), text);
  const metrics = path.join(p.tmp, 'metrics.json');
  const seen = path.join(p.tmp, 'seen.txt');
  const [cmd, ...args] = run.split(' ');
  execFileSync(cmd, args, {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      SEEN_FILE: seen,
      EVOLOOP_METRICS: metrics,
      EVOLOOP_SEED: '3',
      EVOLOOP_RUN: 'r',
      EVOLOOP_CANDIDATE: '2',
    },
  });
  expect(JSON.parse(readFileSync(metrics, 'utf8'))).toEqual({ score: 1, feedback: 'seed 3: placeholder score; write a real measurement' });
  expect(readFileSync(seen, 'utf8').replace(/,$/, '')).toBe(''); // the program saw no EVOLOOP_* variable
});

it('an untouched template run warns that the verifier may not be measuring the program', async () => {
  p = createProblem();
  const dir = path.join(p.repo, 'mine');
  expect((await p.cli('init', dir, '--edit', 'solver.py')).code).toBe(0);
  writeFileSync(path.join(dir, 'solver.py'), 'rate = 0.5  # evoloop: 0.05..0.95\nprint(rate)\n');
  // the naive rule needs one sample per candidate: a quick run
  const config = path.join(dir, 'evoloop.yaml');
  writeFileSync(config, readFileSync(config, 'utf8').replace('rule: pooled', 'rule: better').replace('baseline_repeats: 5', 'baseline_repeats: 2'));
  p.git('add', '-A');
  p.git('commit', '-q', '-m', 'my problem');
  const r = await p.cli('run', dir, '--max-candidates', '6');
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/warning: the baseline and the first 5 measured candidates all scored exactly 1: the verifier may not be measuring the program/);
});
