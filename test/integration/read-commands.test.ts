// The read commands a user looks at after a run: `ls` (one-line reasons, paging), `runs`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProblem, type Problem } from '../support/problem.js';

// Fails every candidate that moved a literal the way a Python program does: a traceback whose last line says why.
const FAILING = `#!/bin/sh
if grep -q 'const a = 1.5;' program.mjs && grep -q 'const b = -2.0;' program.mjs && grep -q 'const n = 3;' program.mjs; then echo '{"score": 1}'; exit 0; fi
echo 'Traceback (most recent call last):' >&2
echo '  File "/w/solver.py", line 3, in <module>' >&2
echo '    raise ValueError("a moved")' >&2
echo 'ValueError: a moved' >&2
exit 1
`;

let p: Problem;
let failing: Problem;
let failingRun: { stdout: string };
beforeAll(async () => {
  p = createProblem({ config: { budget: { candidates: 6 } } });
  expect((await p.cli('run', '{dir}')).code).toBe(0);
  failing = createProblem({ files: { 'verifier/score.sh': FAILING }, config: { budget: { candidates: 2 } } });
  failingRun = await failing.cli('run', '{dir}');
}, 60_000);
afterAll(() => {
  p.cleanup();
  failing.cleanup();
});

describe('failure reasons in one line', () => {
  it('progress lines and ls show the first meaningful stderr line, not "Last lines of stderr:"', async () => {
    expect(failingRun.stdout).toMatch(/#2 failed \(tune\): crash in stage score: stage "score" exited with code 1: ValueError: a moved/);
    expect(failingRun.stdout).not.toMatch(/Last lines of stderr:$/m);
    const ls = await failing.cli('ls', '{dir}');
    expect(ls.stdout).toMatch(/^ {4}2 {2}failed .*"score" exited with code 1: ValueError: a moved$/m);
    // The full reason, stderr tail included, is still there for scripts.
    const json = JSON.parse((await failing.cli('ls', '{dir}', '--json')).stdout);
    expect(json.find((c: { id: number }) => c.id === 2).reason).toContain('Last lines of stderr:\nTraceback');
  });
});

describe('ls paging', () => {
  it('says how many rows it left out and how to see them', async () => {
    const ls = await p.cli('ls', '{dir}', '--limit', '3');
    expect(ls.stdout.trim().split('\n')).toHaveLength(3);
    expect(ls.stderr).toContain('4 more (use --all or --limit)');
    const all = await p.cli('ls', '{dir}', '--all');
    expect(all.stdout.trim().split('\n')).toHaveLength(7);
    expect(all.stderr).not.toContain('more');
    const some = await p.cli('ls', '{dir}', '--limit', '2', '--status', 'baseline');
    expect(some.stderr).not.toContain('more');
  });

  it('--json prints every candidate unless --limit is given', async () => {
    expect(JSON.parse((await p.cli('ls', '{dir}', '--json')).stdout)).toHaveLength(7);
    const limited = await p.cli('ls', '{dir}', '--json', '--limit', '2');
    expect(JSON.parse(limited.stdout)).toHaveLength(2);
    expect(limited.stderr).toContain('5 more (use --all or --limit)');
  });
});

describe('runs', () => {
  it("lists the problem's runs with id, status, base commit, best, candidates and start", async () => {
    p.write('program.mjs', p.read('program.mjs').replace('const n = 3;', 'const n = 4;'));
    p.git('commit', '-qam', 'next');
    expect((await p.cli('run', '{dir}', '--max-candidates', '2')).code).toBe(0);
    const runs = JSON.parse((await p.cli('runs', '{dir}', '--json')).stdout);
    expect(runs).toHaveLength(2);
    expect(runs.map((r: { candidates: number }) => r.candidates)).toEqual([6, 2]);
    expect(runs[1].baseCommit).toBe(p.git('rev-parse', 'HEAD'));
    expect(runs[0].baseCommit).toBe(p.git('rev-parse', 'HEAD~1'));
    expect(runs[0]).toMatchObject({ status: 'finished', bestCandidate: expect.any(Number), best: expect.any(Number) });
    expect(Date.parse(runs[0].startedAt)).toBeLessThanOrEqual(Date.parse(runs[1].startedAt));
    const text = (await p.cli('runs', '{dir}')).stdout.split('\n');
    expect(text[0]).toMatch(/^run +status +base +best +candidates +started/);
    expect(text[1]).toContain(runs[0].id);
    expect(text[1]).toContain(runs[0].baseCommit.slice(0, 12));
    expect(text[2]).toMatch(new RegExp(`${runs[1].id} +finished +${runs[1].baseCommit.slice(0, 12)} +\\S+ +2 +\\d{4}-`));
  });

  it('says when there is no store', async () => {
    const empty = createProblem();
    const r = await empty.cli('runs', '{dir}');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no evoloop run in');
    empty.cleanup();
  });
});
