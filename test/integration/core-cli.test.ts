// The core loop through the real CLI: a run that improves a problem, and every read
// and write command a user relies on afterwards (status, show, ls, diff, apply, export,
// init, schema), against a temp git repository.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/load.js';
import { openStore } from '../../src/store/store.js';
import { createProblem, PROJECT_ROOT, type Problem } from '../support/problem.js';

/** Score of a program.mjs text, computed the way verifier/score.sh does. */
function scoreOf(program: string): number {
  const a = Number(/const a = \(?(-?[\d.e+-]+)/.exec(program)![1]);
  const b = Number(/const b = \(?(-?[\d.e+-]+)/.exec(program)![1]);
  const n = Number(/const n = \(?(-?\d+)/.exec(program)![1]);
  return 100 - (a - 4) ** 2 - (b - 1) ** 2 - (n - 8) ** 2;
}

describe('evoloop run on a problem, then the read commands', () => {
  let p: Problem;
  let runId: string;
  let headBefore: string;
  const N = 15;

  beforeAll(async () => {
    p = createProblem({ config: { operators: undefined } }); // the default offline choice
    headBefore = p.git('rev-parse', 'HEAD');
    const r = await p.cli('run', '{dir}', '--max-candidates', String(N));
    expect(r.stderr).not.toMatch(/Error:|at .*\.js:\d+/);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/No model configured: using an offline optimizer.*\nOffline operator: bayes \(3 literals with a range/);
    runId = /Starting run (\S+)/.exec(r.stdout)![1];
  });
  afterAll(() => p.cleanup());

  it('climbs from the baseline and records every candidate, each as a commit on its ref', () => {
    const store = openStore(p.dir);
    try {
      const run = store.getRun(runId)!;
      expect(run.status).toBe('finished');
      const all = store.listCandidates(runId);
      expect(all).toHaveLength(N + 1);
      const baseline = all.find((c) => c.status === 'baseline')!;
      expect(baseline.score).toBe(scoreOf(p.read('program.mjs')));
      const accepted = all.filter((c) => c.status === 'accepted');
      expect(accepted.length).toBeGreaterThan(0);
      // Greedy: each new champion is strictly better than the one before.
      const champions = [baseline, ...accepted].map((c) => c.score!);
      for (let i = 1; i < champions.length; i++) expect(champions[i]).toBeGreaterThan(champions[i - 1]);
      expect(run.championId).toBe(accepted.at(-1)!.id);

      const refs = new Map(
        p
          .git('for-each-ref', '--format=%(refname) %(objectname)', `refs/evoloop/${runId}`)
          .split('\n')
          .map((l) => l.split(' ') as [string, string]),
      );
      for (const c of all.filter((c) => c.status === 'accepted' || c.status === 'rejected')) {
        expect(c.ref).toBe(`refs/evoloop/${runId}/candidates/${c.id}`);
        expect(refs.get(c.ref!)).toBe(c.commitSha);
        // The recorded commit holds exactly the program that was scored.
        const program = p.git('show', `${c.commitSha}:problem/program.mjs`);
        expect(scoreOf(program)).toBeCloseTo(c.score!, 6);
        expect(store.measurements(c.id)).toHaveLength(1);
      }
      // Every champion keeps a ref out of `git branch`.
      for (const c of accepted) expect(refs.get(`refs/evoloop/${runId}/champions/${c.id}`)).toBe(c.commitSha);
      // Every verifier invocation is a recorded measurement, and nothing ran twice.
      const measured = all.reduce((n, c) => n + store.measurements(c.id).length, 0);
      expect(p.log().filter((l) => l[0] === 'end')).toHaveLength(measured);
    } finally {
      store.close();
    }
  });

  it('keeps the champion on one moving branch, evoloop/<run>/best, and leaves the checkout alone', () => {
    const status = p.git('status', '--porcelain');
    expect(status).toBe('');
    expect(p.git('rev-parse', 'HEAD')).toBe(headBefore);
    const store = openStore(p.dir);
    const best = store.getCandidate(store.getRun(runId)!.championId!)!;
    expect(store.listCandidates(runId, { status: ['accepted'] }).length).toBeGreaterThan(0);
    store.close();
    // Its short name is unambiguous (git switch works).
    expect(p.git('rev-parse', '--symbolic-full-name', `evoloop/${runId}/best`)).toBe(`refs/heads/evoloop/${runId}/best`);
    expect(p.git('rev-parse', `evoloop/${runId}/best`)).toBe(best.commitSha);
    // One branch per run however many champions it had; candidates and earlier champions stay out of `git branch`.
    const branches = p
      .git('for-each-ref', '--format=%(refname)', 'refs/heads')
      .split('\n')
      .map((b) => b.replace('refs/heads/', ''));
    expect(branches.filter((b) => b !== 'main')).toEqual([`evoloop/${runId}/best`]);
  });

  it('status --json reports the headline', async () => {
    const r = await p.cli('status', '{dir}', '--json');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ run: runId, candidates: N, status: 'finished' });
    expect(s.accepted).toBeGreaterThan(0);
    expect(s.best).toBeGreaterThan(s.baseline);
    expect(typeof s.bestCandidate).toBe('number');
    const text = await p.cli('status', '{dir}');
    expect(text.stdout).toContain(`run ${runId}: finished`);
  });

  it('show best --json has the champion with its measurements', async () => {
    const s = JSON.parse((await p.cli('status', '{dir}', '--json')).stdout);
    const r = await p.cli('show', 'best', '{dir}', '--json');
    expect(r.code).toBe(0);
    const c = JSON.parse(r.stdout);
    expect(c).toMatchObject({ id: s.bestCandidate, status: 'accepted', score: s.best, branch: `evoloop/${runId}/best` });
    expect(typeof c.parent).toBe('number');
    expect(c.metrics.score).toBe(s.best);
    expect(c.measurements[0]).toMatchObject({ stage: 'score', repeat: 0, ok: true });
    const baseline = JSON.parse((await p.cli('show', 'baseline', '{dir}', '--json')).stdout);
    expect(baseline).toMatchObject({ status: 'baseline', parent: null, score: s.baseline });
  });

  it('ls lists every candidate, newest first', async () => {
    const r = await p.cli('ls', '{dir}', '--json', '--limit', '100');
    const rows = JSON.parse(r.stdout) as { id: number }[];
    expect(rows).toHaveLength(N + 1);
    expect(rows[0].id).toBeGreaterThan(rows.at(-1)!.id);
    const accepted = JSON.parse((await p.cli('ls', '{dir}', '--json', '--status', 'accepted')).stdout) as { status: string }[];
    expect(accepted.length).toBeGreaterThan(0);
    expect(accepted.every((c) => c.status === 'accepted')).toBe(true);
  });

  it('apply best --branch creates a branch whose diff equals `diff best`, checkout untouched', async () => {
    const indexBefore = p.git('write-tree');
    const diff = await p.cli('diff', 'best', '{dir}');
    expect(diff.code).toBe(0);
    // Problem-relative paths, as in the config's globs, `show` and `diff --parent`.
    expect(diff.stdout).toMatch(/^diff --git a\/program\.mjs b\/program\.mjs/m);
    const r = await p.cli('apply', 'best', '{dir}', '--branch', 'improved');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/branch improved/);
    const base = p.git('rev-parse', `refs/evoloop/${runId}/base`);
    expect(p.git('rev-parse', 'improved^')).toBe(base);
    expect(`${p.git('diff', '--relative=problem', base, 'improved')}\n`).toBe(diff.stdout);
    // The user's checkout, index and current branch are as they were.
    expect(p.git('rev-parse', 'HEAD')).toBe(headBefore);
    expect(p.git('symbolic-ref', 'HEAD')).toBe('refs/heads/main');
    expect(p.git('write-tree')).toBe(indexBefore);
    expect(p.git('status', '--porcelain')).toBe('');
    expect(p.git('fsck', '--strict', '--no-dangling')).toBe('');
    // The branch holds a program the verifier scores as the champion.
    const show = JSON.parse((await p.cli('show', 'best', '{dir}', '--json')).stdout);
    expect(scoreOf(p.git('show', 'improved:problem/program.mjs'))).toBeCloseTo(show.score, 6);

    const again = await p.cli('apply', 'best', '{dir}', '--branch', 'improved');
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists.*--force/s);
    expect((await p.cli('apply', 'best', '{dir}', '--branch', 'improved', '--force')).code).toBe(0);
    const bad = await p.cli('apply', 'best', '{dir}', '--branch', 'no..good');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not a valid branch name/);
  });

  it('export --format jsonl and csv output every candidate', async () => {
    const jsonl = await p.cli('export', '{dir}', '--format', 'jsonl');
    expect(jsonl.code).toBe(0);
    const rows = jsonl.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows).toHaveLength(N + 1);
    expect(new Set(rows.map((r) => r.id)).size).toBe(N + 1);
    expect(rows.every((r) => r.run_id === runId)).toBe(true);

    const csv = await p.cli('export', '{dir}', '--format', 'csv');
    const table = parseCsv(csv.stdout);
    const header = table[0];
    expect(header).toContain('id');
    expect(header).toContain('patch');
    expect(table.slice(1)).toHaveLength(N + 1);
    const idCol = header.indexOf('id');
    const patchCol = header.indexOf('patch');
    expect(table.slice(1).map((r) => Number(r[idCol]))).toEqual(rows.map((r) => r.id));
    // Multi-line patches survive CSV quoting.
    const accepted = rows.find((r) => r.status === 'accepted');
    expect(table.find((r) => Number(r[idCol]) === accepted.id)![patchCol]).toBe(accepted.patch);

    const measurements = await p.cli('export', '{dir}', '--table', 'measurements');
    const store = openStore(p.dir);
    const measured = store.listCandidates(runId).reduce((n, c) => n + store.measurements(c.id).length, 0);
    store.close();
    expect(measurements.stdout.trim().split('\n').length).toBe(measured);
    const out = path.join(p.tmp, 'out.jsonl');
    expect((await p.cli('export', '{dir}', '-o', out)).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(jsonl.stdout);
    expect((await p.cli('export', '{dir}', '--format', 'xml')).code).toBe(2);
  });

  it('usage mistakes exit 2 with a message', async () => {
    const cases = [
      ['show', '999', '{dir}'],
      ['show', 'champion', '{dir}'],
      ['run', '{dir}', '--max-candidates', '0'],
      ['frobnicate'],
      ['status', path.join(p.tmp, 'nowhere')],
    ];
    for (const args of cases) {
      const r = await p.cli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.length, args.join(' ')).toBeGreaterThan(0);
    }
  });
});

describe('the shipped circle-packing example, copied into a temp repository', () => {
  it('run --max-candidates 40 beats the baseline, with the default sandbox and acceptance rule', async () => {
    const p = createProblem({ from: path.join(PROJECT_ROOT, 'examples', 'circle-packing') });
    try {
      const r = await p.cli('run', '{dir}', '--max-candidates', '40');
      expect(r.code, r.stderr).toBe(0);
      const s = JSON.parse((await p.cli('status', '{dir}', '--json')).stdout);
      expect(s.candidates).toBe(40);
      expect(s.best).toBeGreaterThan(s.baseline);
      expect(s.best).toBeLessThan(2.7); // above the known frontier (2.635) would mean a verifier bug
      // The champion is a valid packing by the example's own verifier, run by hand on the applied branch.
      expect((await p.cli('apply', 'best', '{dir}', '--branch', 'packing')).code).toBe(0);
      p.git('worktree', 'add', '-q', path.join(p.tmp, 'check'), 'packing');
      const dir = path.join(p.tmp, 'check', 'problem');
      execFileSync(process.execPath, ['verifier/validate.mjs'], { cwd: dir });
      const scored = JSON.parse(execFileSync(process.execPath, ['verifier/score.mjs'], { cwd: dir, encoding: 'utf8' }).trim().split('\n').at(-1)!);
      expect(scored.sum_radii).toBeCloseTo(s.best, 9);
    } finally {
      p.cleanup();
    }
  }, 180_000);
});

describe('evoloop init and schema', () => {
  it('init scaffolds a config that validates and runs once a program is committed', async () => {
    const p = createProblem();
    try {
      const folder = path.join(p.repo, 'fresh');
      const r = await p.cli('init', folder);
      expect(r.code, r.stderr).toBe(0);
      const config = loadConfigFile(path.join(folder, 'evoloop.yaml'));
      expect(config.verifier.stages[0]).toMatchObject({ name: 'score', kind: 'score', run: 'node verifier/score.mjs' });
      expect(existsSync(path.join(folder, 'verifier', 'score.mjs'))).toBe(true);
      expect(readFileSync(path.join(folder, '.gitignore'), 'utf8')).toContain('.evoloop/');

      const again = await p.cli('init', folder);
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(/already exists.*--force/s);

      writeFileSync(path.join(folder, 'program.js'), 'export const rate = 0.5;\n');
      p.git('add', '-A');
      p.git('commit', '-q', '-m', 'scaffold');
      const run = await p.cli('run', folder, '--max-candidates', '2');
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/2 candidates/);
    } finally {
      p.cleanup();
    }
  });

  it('schema prints a JSON Schema of evoloop.yaml that rejects unknown keys', async () => {
    const dir = path.join(PROJECT_ROOT, 'test-output');
    mkdirSync(dir, { recursive: true });
    const out = execFileSync(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'evoloop.js'), 'schema'], { cwd: dir, encoding: 'utf8' });
    const schema = JSON.parse(out);
    expect(schema.$schema).toMatch(/json-schema\.org/);
    expect(schema.type).toBe('object');
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(expect.arrayContaining(['edit', 'verifier', 'objective']));
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['edit', 'protect', 'verifier', 'objective', 'budget', 'search', 'accept']));
    const stage = schema.properties.verifier.properties.stages.items;
    expect(stage.properties.kind.enum).toEqual(['gate', 'score', 'holdout', 'judge']);
  });
});

/** RFC 4180 CSV: quoted fields may hold commas, quotes ("") and newlines. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') ((field += '"'), i++);
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') (row.push(field), (field = ''));
    else if (ch === '\n') (row.push(field), rows.push(row), (row = []), (field = ''));
    else field += ch;
  }
  if (field || row.length) rows.push([...row, field]);
  return rows;
}
