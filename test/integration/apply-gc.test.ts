// Git hygiene of a run, end to end: commits in the user's name, one moving best branch, apply
// with the lineage in its message and --onto HEAD, the pool removed at the end, and evoloop gc.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/store.js';
import { createProblem, type Problem } from '../support/problem.js';

let p: Problem;
let runId: string;
beforeAll(async () => {
  p = createProblem({ config: { budget: { candidates: 8 }, operators: { tune: 1 } } }); // apply's message names tune's steps
  p.git('config', 'user.name', 'Ada Lovelace');
  p.git('config', 'user.email', 'ada@example.org');
  const r = await p.cli('run', '{dir}');
  expect(r.code, r.stderr).toBe(0);
  runId = JSON.parse((await p.cli('status', '{dir}', '--json')).stdout).run;
}, 60_000);
afterAll(() => p.cleanup());

describe('a run in git', () => {
  it("records candidates as the user's commits with an Evoloop-Run trailer, one best branch, and removes its worktrees", () => {
    const store = openStore(p.dir);
    const run = store.getRun(runId)!;
    const best = store.getCandidate(run.championId!)!;
    const accepted = store.listCandidates(runId, { status: ['accepted'] });
    store.close();
    expect(accepted.length).toBeGreaterThan(0);
    expect(p.git('log', '-1', '--format=%an <%ae>|%(trailers:key=Evoloop-Run,valueonly)', best.commitSha!)).toBe(`Ada Lovelace <ada@example.org>|${runId}`);
    expect(p.git('rev-parse', `evoloop/${runId}/best`)).toBe(best.commitSha);
    expect(p.git('for-each-ref', '--format=%(refname)', 'refs/heads').split('\n').sort()).toEqual(
      ['refs/heads/evoloop/' + runId + '/best', 'refs/heads/main'].sort(),
    );
    for (const c of accepted) expect(p.git('rev-parse', `refs/evoloop/${runId}/champions/${c.id}`)).toBe(c.commitSha);
    expect(existsSync(path.join(p.dir, '.evoloop', 'worktrees'))).toBe(false);
  });

  it('a resumed run recreates the worktree pool', async () => {
    const r = await p.cli('run', '{dir}', '--max-candidates', '9');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse((await p.cli('status', '{dir}', '--json')).stdout).candidates).toBe(9);
    expect(existsSync(path.join(p.dir, '.evoloop', 'worktrees'))).toBe(false);
  });
});

describe('apply', () => {
  it('commits the champion on the base with every accepted step of its lineage in the message', async () => {
    const r = await p.cli('apply', 'best', '{dir}', '--branch', 'improved');
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse((await p.cli('status', '{dir}', '--json')).stdout);
    expect(p.git('rev-parse', 'improved^')).toBe(s.baseCommit);
    const message = p.git('log', '-1', '--format=%B', 'improved');
    const store = openStore(p.dir);
    const lineage: number[] = [];
    for (let c = store.getCandidate(s.bestCandidate)!; c.status !== 'baseline'; c = store.getCandidate(c.parentId!)!) lineage.unshift(c.id);
    store.close();
    expect(message.split('\n')[0]).toMatch(
      new RegExp(`^evoloop: candidate ${s.bestCandidate} of run ${runId} \\(score \\S+, \\+\\S+ over the baseline \\S+\\)$`),
    );
    expect([...message.matchAll(/^- #(\d+) tune: tune .* → \S+ \(\+\S+\)$/gm)].map((m) => Number(m[1]))).toEqual(lineage);
    expect(message).toMatch(new RegExp(`^Evoloop-Run: ${runId}$`, 'm'));
    expect(p.git('log', '-1', '--format=%an', 'improved')).toBe('Ada Lovelace');
  });

  it('--onto HEAD merges the change onto the current commit, three-way', async () => {
    p.write('program.mjs', p.read('program.mjs').replace('// A toy problem', '// A toy problem, edited since the run'));
    p.git('commit', '-qam', 'edit the comment');
    const head = p.git('rev-parse', 'HEAD');
    const r = await p.cli('apply', 'best', '{dir}', '--onto', 'HEAD', '--branch', 'onto-head');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/merged onto HEAD/);
    expect(p.git('rev-parse', 'onto-head^')).toBe(head);
    const merged = p.git('show', 'onto-head:problem/program.mjs');
    expect(merged).toContain('edited since the run');
    // The champion's literals, as `apply` without --onto has them.
    const onBase = p.git('show', 'improved:problem/program.mjs');
    for (const line of onBase.split('\n').filter((l) => /const [abn] =/.test(l))) expect(merged).toContain(line);
    expect(p.git('status', '--porcelain')).toBe('');
  });

  it('--onto reports a conflict and writes nothing', async () => {
    p.write('program.mjs', p.read('program.mjs').replace(/const (a|b|n) = [^;]+;/g, 'const $1 = 7;'));
    p.git('commit', '-qam', 'set every literal by hand');
    const r = await p.cli('apply', 'best', '{dir}', '--onto', 'HEAD', '--branch', 'conflicted');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/does not merge onto HEAD .*nothing was written:\n {2}program\.mjs: both changed line/s);
    expect(p.git('for-each-ref', 'refs/heads/conflicted')).toBe('');
    const bad = await p.cli('apply', 'best', '{dir}', '--onto', 'no-such-commit');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--onto no-such-commit: not a commit of this repository');
  });
});

describe('evoloop gc', () => {
  it('removes the refs, scratch and pool of stopped runs, keeps the champion and the best branch, and says what it freed', async () => {
    const store = openStore(p.dir);
    const bestId = store.getRun(runId)!.championId!;
    store.close();
    const before = p.git('for-each-ref', '--format=%(refname)', `refs/evoloop/${runId}/`).split('\n');
    expect(before.length).toBeGreaterThan(3);
    const r = await p.cli('gc', '{dir}');
    expect(r.code, r.stderr).toBe(0);
    const after = p.git('for-each-ref', '--format=%(refname)', `refs/evoloop/${runId}/`).split('\n').sort();
    expect(after).toEqual([`refs/evoloop/${runId}/base`, `refs/evoloop/${runId}/candidates/${bestId}`, `refs/evoloop/${runId}/champions/${bestId}`].sort());
    expect(r.stdout).toMatch(new RegExp(`^run ${runId}: ${before.length - 3} refs, \\d+ folders?, \\d+ artifacts? — .+$`, 'm'));
    expect(r.stdout).toMatch(/^freed .+ on disk/m);
    expect(existsSync(path.join(p.dir, '.evoloop', 'scratch', runId))).toBe(false);
    // Branches stay: the run's best and what apply made.
    expect(p.git('rev-parse', '--verify', '-q', `evoloop/${runId}/best`)).not.toBe('');
    expect(p.git('rev-parse', '--verify', '-q', 'improved')).not.toBe('');
    // The records stay, and doctor finds the refs it expects.
    expect(JSON.parse((await p.cli('ls', '{dir}', '--json')).stdout)).toHaveLength(10);
    const doctor = JSON.parse((await p.cli('doctor', '{dir}', '--json')).stdout);
    expect(doctor.checks.find((c: { check: string }) => c.check === 'refs')).toMatchObject({ status: 'ok' });
    expect(await p.cli('apply', 'best', '{dir}', '--branch', 'after-gc')).toMatchObject({ code: 0 });
    const again = await p.cli('gc', '{dir}', '--json');
    expect(JSON.parse(again.stdout).runs[0]).toMatchObject({ run: runId, refs: 0 });
  });

  it('picks runs with --run and --all-but-last, and refuses both at once or an unknown run', async () => {
    expect((await p.cli('gc', '{dir}', '--run', 'nope')).stderr).toMatch(/no run nope\. Known runs: /);
    const both = await p.cli('gc', '{dir}', '--run', runId, '--all-but-last', '1');
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--run and --all-but-last');
    const none = JSON.parse((await p.cli('gc', '{dir}', '--all-but-last', '1', '--json')).stdout);
    expect(none.runs).toEqual([]);
  });
});
