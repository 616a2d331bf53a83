// `evoloop audit` against sound verifiers (test/fixtures/audit/sound, replay-sound): every fast
// probe is contained or skipped, the exit code is 0, and no probe leaves a run or a ref behind.
// The weak verifiers are in audit.test.ts.
import { describe, expect, it } from 'vitest';
import type { ProbeResult } from '../../src/audit/report.js';
import { auditFixtures, why } from '../support/audit.js';

const fixtures = auditFixtures();

describe('evoloop audit on a sound verifier', () => {
  it('contains every fast probe; nothing of the audit shows up as a run or a ref', async () => {
    const p = fixtures.problem('sound');
    const r = await p.cli('audit', '{dir}', '--json', '--probes', 'fast');
    const report = JSON.parse(r.stdout) as { results: ProbeResult[] };
    const by = Object.fromEntries(report.results.map((x) => [x.name, x]));
    const bad = report.results.filter((x) => x.outcome === 'let-through' || x.outcome === 'detected');
    expect(bad, JSON.stringify(bad, null, 1)).toEqual([]);
    expect(r.code).toBe(0);
    for (const name of [
      'forge-metric-lines',
      'forge-metrics-file',
      'tamper-rewrite',
      'tamper-git',
      'plant-next',
      'output-nan',
      'output-inf',
      'output-neg-inf',
      'output-huge',
      'output-neg-zero',
      'output-below-tolerance',
      'output-replay',
      'noop-exit',
      'determinism',
    ]) {
      expect(by[name].outcome, why(by[name])).toBe('contained');
    }
    expect(by['holdout-read'].outcome).toBe('skipped');
    expect(p.git('for-each-ref', 'refs/evoloop')).toBe('');
    const ls = await p.cli('ls', '{dir}');
    expect(ls.code).toBe(2);
    expect(ls.stderr).toMatch(/no run recorded yet/);
  }, 90_000);

  it('a fresh input per measurement leaves remembered answers nothing to replay', async () => {
    const { by } = await fixtures.audit('replay-sound', ['output-replay']);
    expect(by['output-replay'].outcome, why(by['output-replay'])).toBe('contained');
    expect(by['output-replay'].reason).toMatch(/no input the program saw when recorded came again/);
  }, 60_000);
});
