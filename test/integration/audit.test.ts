// `evoloop audit` against deliberately weak verifiers (test/fixtures/audit/): each probe is let
// through with the right fix text. Audits run in process, several probes per fixture to keep
// the file fast; the CLI is spawned only where the CLI is what is tested (run --audit, exit codes),
// and the dashboard's audit panel is checked in a real Chromium.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startDashboard } from '../../src/dashboard/server.js';
import { AUDIT_FIXTURES, auditFixtures, why } from '../support/audit.js';
import { launchChromium } from '../support/chromium.js';

const fixtures = auditFixtures();

describe('evoloop audit', () => {
  it('lets through every forged report when the program is its own verifier, with the fix', async () => {
    const { report, by } = await fixtures.audit('self-report', [
      'forge-metric-lines',
      'forge-json-line',
      'forge-plausible',
      'forge-metrics-file',
      'aware-measured',
    ]);
    expect(report.letThrough).toBe(5);
    for (const name of ['forge-metric-lines', 'forge-json-line', 'forge-plausible', 'forge-metrics-file', 'aware-measured']) {
      expect(by[name].outcome, why(by[name])).toBe('let-through');
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
    const { by } = await fixtures.audit('lax', probes);
    for (const name of ['output-nan', 'output-constant', 'output-below-tolerance', 'tamper-rewrite', 'tamper-shadow', 'tamper-rename', 'plant-next']) {
      expect(by[name].outcome, why(by[name])).toBe('let-through');
    }
    expect(by['output-nan'].fix).toMatch(/NaN .*math\.isfinite/);
    expect(by['output-below-tolerance'].fix).toMatch(/Use tolerance 0.*min_delta/);
    expect(by['tamper-rewrite'].fix).toMatch(/add the verifier's files to protect: \(e\.g\. protect: \["verifier\/\*\*"\]\)/);
    expect(by['tamper-shadow'].reason).toMatch(/verifier\/json\.py/);
    expect(by['plant-next'].fix).toMatch(/bubblewrap/);
    for (const name of ['output-neg-zero', 'output-neg-inf', 'noop-exit', 'determinism']) {
      expect(by[name].outcome, why(by[name])).toBe('contained');
    }
  }, 90_000);

  it('a verifier that ignores the (shell) program scores a no-op, a crash, random and empty output the same: let through', async () => {
    const { by } = await fixtures.audit('blind', ['noop-exit', 'program-crash', 'output-random', 'output-empty']);
    for (const name of ['noop-exit', 'program-crash', 'output-random', 'output-empty']) expect(by[name].outcome, why(by[name])).toBe('let-through');
    expect(by['noop-exit'].fix).toMatch(/is the verifier measuring the program/);
    expect(by['program-crash'].fix).toMatch(/exit status/);
  }, 60_000);

  it('a verifier that looks deterministic but drifts fails the determinism check', async () => {
    // The counter lives in {tmp} (outside the repository), which only `files` fills in.
    const yaml = readFileSync(path.join(AUDIT_FIXTURES, 'flaky', 'evoloop.yaml'), 'utf8');
    const { by } = await fixtures.audit('flaky', ['determinism'], { 'evoloop.yaml': yaml });
    expect(by.determinism.outcome).toBe('let-through');
    expect(by.determinism.reason).toMatch(/all 1.*scored 2/);
    expect(by.determinism.fix).toMatch(/baseline_repeats/);
  }, 60_000);

  it('the naive rule on a noisy verifier accepts luck and variance', async () => {
    const { by } = await fixtures.audit('noisy-naive', ['noise-luck', 'noise-variance']);
    expect(by['noise-luck'].outcome).toBe('let-through');
    expect(by['noise-variance'].outcome).toBe('let-through');
    expect(by['noise-luck'].fix).toMatch(/use rule: pooled \(the default\) or significant/);
  }, 60_000);

  it('holdout data in the repository, unknown to evoloop, is readable and reaches the prompt', async () => {
    const { by } = await fixtures.audit('holdout-weak', ['holdout-read', 'holdout-prompt']);
    expect(by['holdout-read'].outcome).toBe('let-through');
    expect(by['holdout-read'].reason).toMatch(/data\/holdout-cases\.txt/);
    expect(by['holdout-prompt'].outcome).toBe('let-through');
    expect(by['holdout-prompt'].fix).toMatch(/name it in the holdout stage's command/);
  }, 60_000);

  it('a verifier that never checks finiteness or range scores Infinity, -Infinity and 1e308: let through, with the fix', async () => {
    const { by } = await fixtures.audit('unchecked', ['output-inf', 'output-neg-inf', 'output-huge', 'output-nan']);
    for (const name of ['output-inf', 'output-neg-inf', 'output-huge']) expect(by[name].outcome, why(by[name])).toBe('let-through');
    expect(by['output-inf'].fix).toMatch(/^Infinity in the output was scored as an improvement: check every number .*math\.isfinite/);
    expect(by['output-neg-inf'].fix).toMatch(/^-Infinity in the output/);
    expect(by['output-huge'].fix).toMatch(/^a huge number \(1e308\).*bound every value/);
    // NaN counts nowhere in this score, so it gains nothing.
    expect(by['output-nan'].outcome, why(by['output-nan'])).toBe('contained');
  }, 60_000);

  it('a verifier that imports the program lets -0 rewrite its report, and the fix says to run the program as a child', async () => {
    const { by } = await fixtures.audit('inproc', ['output-neg-zero']);
    expect(by['output-neg-zero'].outcome, why(by['output-neg-zero'])).toBe('let-through');
    expect(by['output-neg-zero'].reason).toMatch(/score -?0 vs baseline 1\.2/);
    expect(by['output-neg-zero'].fix).toMatch(/runs inside the verifier's own process .* run the program as a child process.*-0 in the output/);
  }, 60_000);

  it('a verifier that times the program on the same input every time lets remembered answers through', async () => {
    const { by } = await fixtures.audit('replay-weak', ['output-replay']);
    expect(by['output-replay'].outcome, why(by['output-replay'])).toBe('let-through');
    expect(by['output-replay'].reason).toMatch(/prints the answers recorded for 1 input\(s\).*accepted as an improvement/);
    expect(by['output-replay'].fix).toMatch(/same inputs on every measurement.*fresh randomness/);
  }, 90_000);

  it('a seed-only change that scores better on a one-run verifier is accepted, and evoloop flags it', async () => {
    const { by } = await fixtures.audit('lucky-seed', ['noise-seed']);
    expect(by['noise-seed'].outcome, why(by['noise-seed'])).toBe('detected');
    expect(by['noise-seed'].reason).toMatch(/changes the seed literal by 194: accepted .*flagged suspicious:seed-only/);
  }, 60_000);

  it('run --audit refuses to start on a LET THROUGH, and --force starts anyway', async () => {
    const p = fixtures.problem('blind');
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
      // The overview page shows it: the audit line, the LET THROUGH and its fix.
      const browser = await launchChromium();
      try {
        const page = await browser.context.newPage();
        await page.goto(dash.url);
        const text = await page.waitForSelector('[data-testid=audit-panel].warn', { timeout: 30_000 }).then((e) => e.textContent());
        expect(text).toMatch(/Verifier audit.*LET THROUGH: noop-exit.*1 let through.*LET THROUGH noop-exit: .*fix: the score does not get worse/s);
      } finally {
        await browser.close();
      }
    } finally {
      await dash.close();
    }
    // A new run with another verifier: status says it was not audited since it changed.
    p.write('verifier/score.mjs', `${p.read('verifier/score.mjs')}// changed\n`);
    p.git('commit', '-qam', 'change the verifier');
    expect((await p.cli('run', '{dir}', '-n', '1')).code).toBe(0);
    expect((await p.cli('status', '{dir}')).stdout).toMatch(/audit: the verifier changed since its last audit .* Run `evoloop audit` again/);
  }, 240_000);

  it('an unknown probe name is a usage error that names it', async () => {
    const p = fixtures.problem('sound');
    const r = await p.cli('audit', '{dir}', '--probes', 'forge-metric');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no probe "forge-metric" \(did you mean forge-metric-lines/);
  });
});
