// `evoloop audit` end to end: each probe against a deliberately weak verifier (let through,
// with the fix) and a sound one (contained), on the fixtures in test/fixtures/audit/.
// Several probes share one audit call per fixture, to keep the file fast.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startDashboard } from '../../src/dashboard/server.js';
import { createProblem, PROJECT_ROOT, type Problem } from '../support/problem.js';

const FIXTURES = path.join(PROJECT_ROOT, 'test', 'fixtures', 'audit');
const made: Problem[] = [];
afterAll(() => made.forEach((p) => p.cleanup()));

interface Result {
  name: string;
  outcome: string;
  reason: string;
  fix?: string;
}

async function auditFixture(name: string, probes: string[], files: Record<string, string> = {}) {
  const p = createProblem({ from: path.join(FIXTURES, name), sub: 'problem', files });
  made.push(p);
  const r = await p.cli('audit', '{dir}', '--json', '--probes', probes.join(','));
  const report = JSON.parse(r.stdout) as { letThrough: number; results: Result[] };
  const by = Object.fromEntries(report.results.map((x) => [x.name, x]));
  return { p, code: r.code, stderr: r.stderr, report, by };
}

describe('evoloop audit', () => {
  it('lets through every forged report when the program is its own verifier, with the fix', async () => {
    const { code, by } = await auditFixture('self-report', [
      'forge-metric-lines',
      'forge-json-line',
      'forge-plausible',
      'forge-metrics-file',
      'aware-measured',
    ]);
    expect(code).toBe(1);
    for (const name of ['forge-metric-lines', 'forge-json-line', 'forge-plausible', 'forge-metrics-file', 'aware-measured']) {
      expect(by[name].outcome, `${name}: ${by[name].reason}`).toBe('let-through');
    }
    expect(by['forge-metric-lines'].fix).toMatch(/passes the program's output through.*capture its output/);
    expect(by['forge-metrics-file'].fix).toMatch(/EVOLOOP_METRICS in its own environment: run the program with a clean environment/);
    expect(by['aware-measured'].fix).toMatch(/can tell it is being measured \(aware:env/);
  }, 60_000);

  it('a lax Python verifier lets NaN, constants, sub-tolerance nudges, tampering and plants through; -0, -Infinity and a no-op are contained', async () => {
    const probes = [
      'output-nan',
      'output-constant',
      'output-below-tolerance',
      'output-neg-zero',
      'output-neg-inf',
      'noop-exit',
      'tamper-rewrite',
      'tamper-shadow',
      'tamper-rename',
      'plant-next',
      'determinism',
    ];
    const { code, by } = await auditFixture('lax', probes);
    expect(code).toBe(1);
    for (const name of ['output-nan', 'output-constant', 'output-below-tolerance', 'tamper-rewrite', 'tamper-shadow', 'tamper-rename', 'plant-next']) {
      expect(by[name].outcome, `${name}: ${by[name].reason}`).toBe('let-through');
    }
    expect(by['output-nan'].fix).toMatch(/NaN .*math\.isfinite/);
    expect(by['output-below-tolerance'].fix).toMatch(/Use tolerance 0.*min_delta/);
    expect(by['tamper-rewrite'].fix).toMatch(/add the verifier's files to protect: \(e\.g\. protect: \["verifier\/\*\*"\]\)/);
    expect(by['tamper-shadow'].reason).toMatch(/verifier\/json\.py/);
    expect(by['plant-next'].fix).toMatch(/bubblewrap/);
    for (const name of ['output-neg-zero', 'output-neg-inf', 'noop-exit', 'determinism']) {
      expect(by[name].outcome, `${name}: ${by[name].reason}`).toBe('contained');
    }
  }, 90_000);

  it('a verifier that ignores the (shell) program scores a no-op, a crash, random and empty output the same: let through', async () => {
    const { by } = await auditFixture('blind', ['noop-exit', 'program-crash', 'output-random', 'output-empty']);
    for (const name of ['noop-exit', 'program-crash', 'output-random', 'output-empty'])
      expect(by[name].outcome, `${name}: ${by[name].reason}`).toBe('let-through');
    expect(by['noop-exit'].fix).toMatch(/is the verifier measuring the program/);
    expect(by['program-crash'].fix).toMatch(/exit status/);
  }, 60_000);

  it('a verifier that looks deterministic but drifts fails the determinism check', async () => {
    const yaml = readFileSync(path.join(FIXTURES, 'flaky', 'evoloop.yaml'), 'utf8');
    const { by } = await auditFixture('flaky', ['determinism'], { 'evoloop.yaml': yaml });
    expect(by.determinism.outcome).toBe('let-through');
    expect(by.determinism.reason).toMatch(/all 1.*scored 2/);
    expect(by.determinism.fix).toMatch(/baseline_repeats/);
  }, 60_000);

  it('the naive rule on a noisy verifier accepts luck and variance', async () => {
    const { by } = await auditFixture('noisy-naive', ['noise-luck', 'noise-variance']);
    expect(by['noise-luck'].outcome).toBe('let-through');
    expect(by['noise-variance'].outcome).toBe('let-through');
    expect(by['noise-luck'].fix).toMatch(/rule: significant/);
  }, 60_000);

  it('holdout data in the repository, unknown to evoloop, is readable and reaches the prompt', async () => {
    const { by } = await auditFixture('holdout-weak', ['holdout-read', 'holdout-prompt']);
    expect(by['holdout-read'].outcome).toBe('let-through');
    expect(by['holdout-read'].reason).toMatch(/data\/holdout-cases\.txt/);
    expect(by['holdout-prompt'].outcome).toBe('let-through');
    expect(by['holdout-prompt'].fix).toMatch(/name it in the holdout stage's command/);
  }, 60_000);

  it('run --audit refuses to start on a LET THROUGH, and --force starts anyway', async () => {
    const p = createProblem({ from: path.join(FIXTURES, 'blind'), sub: 'problem' });
    made.push(p);
    const refused = await p.cli('run', '{dir}', '--audit', 'noop-exit', '-n', '1');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/LET THROUGH noop-exit/);
    expect(refused.stderr).toMatch(/the audit let 1 probe\(s\) through, so the run did not start. Fix: .*--force/);
    expect((await p.cli('ls', '{dir}')).stderr).toMatch(/no run recorded yet/);
    const forced = await p.cli('run', '{dir}', '--audit', 'noop-exit', '--force', '-n', '1');
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toMatch(/starting anyway \(--force\)/);
    const status = await p.cli('status', '{dir}');
    expect(status.stdout).toMatch(/!! audit .*LET THROUGH: noop-exit/);
    const report = await p.cli('report', '{dir}');
    expect(report.code, report.stderr).toBe(0);
    const mdFile = report.stdout.match(/^\s+(\S+\.md)$/m)![1];
    const md = readFileSync(path.isAbsolute(mdFile) ? mdFile : path.join(p.repo, mdFile), 'utf8');
    expect(md).toMatch(/## Verifier audit\n\n- !! Audit .*\n- LET THROUGH noop-exit: .*Fix: the score does not get worse/);
    const dash = await startDashboard({ problemDir: p.dir, port: 0 });
    try {
      const panel = (await (await fetch(new URL('/api/audit', dash.url))).json()) as { line: string; last: { letThrough: { name: string; fix: string }[] } };
      expect(panel.line).toMatch(/LET THROUGH: noop-exit/);
      expect(panel.last.letThrough.map((x) => x.name)).toEqual(['noop-exit']);
    } finally {
      await dash.close();
    }
    // A new run with another verifier: status says it was not audited since it changed.
    p.write('verifier/score.mjs', `${p.read('verifier/score.mjs')}// changed\n`);
    p.git('commit', '-qam', 'change the verifier');
    expect((await p.cli('run', '{dir}', '-n', '1')).code).toBe(0);
    expect((await p.cli('status', '{dir}')).stdout).toMatch(/audit: the verifier changed since its last audit .* Run `evoloop audit` again/);
  }, 150_000);

  it('an unknown probe name is a usage error that names it', async () => {
    const p = createProblem({ from: path.join(FIXTURES, 'sound'), sub: 'problem' });
    made.push(p);
    const r = await p.cli('audit', '{dir}', '--probes', 'forge-metric');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no probe "forge-metric" \(did you mean forge-metric-lines/);
  });
});
