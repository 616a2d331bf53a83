// Bad input from the user gets a clear error that names the problem and the fix, and
// changes nothing: broken configs (exit 2), a dirty working tree (exit 2, or a snapshot
// with --allow-dirty), and a base commit that fails its own verifier (exit 1).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { openStore } from '../../src/store/store.js';
import { createProblem, defaultConfig, runCli, type Problem } from '../support/problem.js';

let p: Problem | undefined;
afterEach(() => p?.cleanup());

const stageWith = (extra: Record<string, unknown>) => ({ verifier: { stages: [{ name: 'score', kind: 'score', run: 'sh verifier/score.sh', ...extra }] } });
const yaml = (overrides: Record<string, unknown>) => stringify({ ...defaultConfig(), ...overrides });

/** [name, evoloop.yaml text, what stderr must say] */
const BROKEN: [string, string, RegExp[]][] = [
  ['a YAML syntax error', 'edit: [program.mjs\nverifier:\n  stages: []\n', [/evoloop\.yaml: YAML syntax error/, /line 2/]],
  ['an unknown key', yaml({ budjet: { candidates: 3 } }), [/budjet: unknown key/, /did you mean `budget`\?/]],
  ['an unknown nested key', yaml(stageWith({ timout: '5s' })), [/verifier\.stages\[0\]\.timout: unknown key/, /did you mean `timeout`\?/]],
  ['a wrong type', yaml({ search: { parallel: 'four' } }), [/search\.parallel: .*expected number/, /got "four"/]],
  ['a missing objective', yaml({ objective: undefined }), [/objective: .*it is missing/]],
  [
    'both metric and expr',
    yaml({ objective: { metric: 'score', expr: 'score * 2', goal: 'maximize' } }),
    [/objective: set exactly one of `metric`.* or `expr`/],
  ],
  ['a bad goal', yaml({ objective: { metric: 'score', goal: 'maximise' } }), [/objective\.goal: .*"maximize"\|"minimize"/]],
  ['a bad duration', yaml(stageWith({ timeout: '5 minutes' })), [/verifier\.stages\[0\]\.timeout: expected a duration such as 30s/, /got "5 minutes"/]],
  ['a bad expression', yaml({ objective: { expr: 'score * (', goal: 'maximize' } }), [/objective\.expr "score \* \(": unexpected end/, /Fix: /]],
  ['an unknown function in the expression', yaml({ objective: { expr: 'cube(score)', goal: 'maximize' } }), [/objective\.expr .*unknown function cube/]],
  ['an API key in the env allow-list', yaml(stageWith({ env: ['OPENAI_API_KEY'] })), [/verifier\.stages\[0\]\.env/, /OPENAI_API_KEY.*secret/]],
  ['a prefix that passes secrets', yaml(stageWith({ env: ['*'] })), [/verifier\.stages\[0\]\.env/]],
  ['no score stage', yaml({ verifier: { stages: [{ name: 'tests', kind: 'gate', run: 'true' }] } }), [/verifier\.stages: .*kind: score/]],
  ['an empty edit list', yaml({ edit: [] }), [/edit: list at least one glob/]],
  ['max_repeats below 2', yaml({ accept: { max_repeats: 1 } }), [/accept\.max_repeats: must be at least 2/, /Fix: set accept\.max_repeats to 2 or more/]],
];

/** The run wrote nothing: no store, no refs, no worktrees, checkout as it was. */
function expectUntouched(problem: Problem, refsBefore: string) {
  expect(existsSync(path.join(problem.dir, '.evoloop', 'evoloop.db')), '.evoloop/evoloop.db was created').toBe(false);
  expect(existsSync(path.join(problem.dir, '.evoloop', 'worktrees'))).toBe(false);
  expect(problem.git('for-each-ref')).toBe(refsBefore);
  expect(problem.git('worktree', 'list').split('\n')).toHaveLength(1);
}

describe('a broken evoloop.yaml: exit 2, a message naming the key, nothing written', () => {
  for (const [name, text, messages] of BROKEN) {
    it(name, async () => {
      p = createProblem({ configText: text });
      const refs = p.git('for-each-ref');
      const r = await p.cli('run', '{dir}');
      expect(r.code, r.stderr).toBe(2);
      for (const m of messages) expect(r.stderr).toMatch(m);
      expect(r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/); // no stack trace for user errors
      expectUntouched(p, refs);
    });
  }

  it('several problems are all reported at once', async () => {
    p = createProblem({ configText: yaml({ budjet: {}, search: { parallel: 0 }, objective: { metric: 'score', goal: 'up' } }) });
    const r = await p.cli('run', '{dir}');
    expect(r.code).toBe(2);
    for (const key of ['budjet', 'search.parallel', 'objective.goal']) expect(r.stderr).toContain(key);
  });

  it('no evoloop.yaml: exit 2 pointing at `evoloop init`', async () => {
    p = createProblem();
    const r = await p.cli('run', p.repo);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no evoloop\.yaml in .*evoloop init/);
  });

  it('a folder outside any git repository: exit 2 saying how to make one', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'evoloop-nogit-'));
    try {
      p = createProblem();
      const { cpSync } = await import('node:fs');
      cpSync(p.dir, dir, { recursive: true });
      const r = await runCli(['run', dir], dir);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/not inside a git repository.*git init/s);
      expect(existsSync(path.join(dir, '.evoloop', 'evoloop.db'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a dirty working tree', () => {
  const CHANGED = (program: string) => program.replace('const a = 1.5;', 'const a = 3.5;');

  it('is refused with exit 2, naming the files and the fix; nothing written', async () => {
    p = createProblem();
    p.write('program.mjs', CHANGED(p.read('program.mjs')));
    p.write('verifier/helper.sh', 'echo new\n'); // untracked, in a protected folder
    const refs = p.git('for-each-ref');
    const r = await p.cli('run', '{dir}');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/uncommitted changes .*program\.mjs/);
    expect(r.stderr).toContain('verifier/helper.sh');
    expect(r.stderr).toMatch(/git add -A && git commit/);
    expect(r.stderr).toContain('--allow-dirty');
    expectUntouched(p, refs);
  });

  it('outside the files the run depends on is not a reason to refuse', async () => {
    p = createProblem();
    p.git('status'); // refresh the index
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path.join(p.repo, 'README.md'), '# edited\n');
    p.write('notes.txt', 'scratch\n');
    const r = await p.cli('run', '{dir}', '--max-candidates', '1');
    expect(r.code, r.stderr).toBe(0);
  });

  it('--allow-dirty runs from a snapshot holding the change; the checkout is unchanged', async () => {
    p = createProblem();
    const head = p.git('rev-parse', 'HEAD');
    const changed = CHANGED(p.read('program.mjs'));
    p.write('program.mjs', changed);
    const statusBefore = p.git('status', '--porcelain');
    const indexBefore = p.git('write-tree');
    const r = await p.cli('run', '{dir}', '--allow-dirty', '--max-candidates', '2');
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse((await p.cli('status', '{dir}', '--json')).stdout);
    expect(s.baseCommit).not.toBe(head);
    expect(p.git('rev-parse', `${s.baseCommit}^`)).toBe(head);
    expect(p.git('show', `${s.baseCommit}:problem/program.mjs`)).toBe(changed.trimEnd());
    // The baseline measured the uncommitted program (a = 3.5 scores 100 - 0.25 - 9 - 25).
    expect(s.baseline).toBeCloseTo(65.75, 6);
    // The user's checkout: same HEAD, same index, same modified file.
    expect(p.git('rev-parse', 'HEAD')).toBe(head);
    expect(p.git('symbolic-ref', 'HEAD')).toBe('refs/heads/main');
    expect(p.git('write-tree')).toBe(indexBefore);
    expect(p.git('status', '--porcelain')).toBe(statusBefore);
    expect(p.read('program.mjs')).toBe(changed);
    expect(p.git('fsck', '--strict', '--no-dangling')).toBe('');
  });
});

describe('a base commit that fails its own gate', () => {
  it('stops with exit 1 and says which stage failed, why, and what to do', async () => {
    p = createProblem({
      files: { 'verifier/tests.sh': '#!/bin/sh\necho "test_params: expected n > 5, got 3" >&2\nexit 1\n' },
      config: {
        verifier: {
          stages: [
            { name: 'tests', kind: 'gate', run: 'sh verifier/tests.sh' },
            { name: 'score', kind: 'score', run: 'sh verifier/score.sh' },
          ],
        },
      },
    });
    const r = await p.cli('run', '{dir}');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/base commit fails its own verifier/);
    expect(r.stderr).toMatch(/gate-failed in stage tests/);
    expect(r.stderr).toContain('test_params: expected n > 5, got 3');
    expect(r.stderr).toMatch(/Fix: make the unmodified program pass/);
    expect(r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
    // The score stage never ran, and no candidate was proposed.
    expect(p.log()).toEqual([]);
    const store = openStore(p.dir);
    try {
      const [run] = store.listRuns();
      expect(run.status).toBe('failed');
      expect(store.listCandidates(run.id).map((c) => c.status)).toEqual(['failed']);
    } finally {
      store.close();
    }
  });
});
