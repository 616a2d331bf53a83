// `evoloop audit` end to end against a sound verifier (test/fixtures/audit/sound): every fast
// probe is contained or skipped, the exit code is 0, and no probe leaves a run or a ref behind.
// The weak verifiers are in audit.test.ts.
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
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

describe('evoloop audit on a sound verifier', () => {
  it('contains every fast probe; nothing of the audit shows up as a run or a ref', async () => {
    const { p, code, by, report } = await auditFixture('sound', ['fast']);
    const bad = report.results.filter((r) => r.outcome === 'let-through' || r.outcome === 'detected');
    expect(bad, JSON.stringify(bad, null, 1)).toEqual([]);
    expect(code).toBe(0);
    for (const name of [
      'forge-metric-lines',
      'forge-metrics-file',
      'tamper-rewrite',
      'tamper-git',
      'plant-next',
      'output-nan',
      'output-below-tolerance',
      'noop-exit',
      'determinism',
    ]) {
      expect(by[name].outcome, `${name}: ${by[name].reason}`).toBe('contained');
    }
    expect(by['holdout-read'].outcome).toBe('skipped');
    expect(p.git('for-each-ref', 'refs/evoloop')).toBe('');
    const ls = await p.cli('ls', '{dir}');
    expect(ls.code).toBe(2);
    expect(ls.stderr).toMatch(/no run recorded yet/);
  }, 90_000);
});
