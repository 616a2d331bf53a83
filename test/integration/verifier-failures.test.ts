// Every way a verifier can fail, end to end through `evoloop run`: each is a recorded
// outcome with a reason on the candidate, never a crash of the run. The verifier
// passes on the unmodified program (so the baseline is measured) and misbehaves on
// every candidate.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type CandidateRecord, type MeasurementRecord } from '../../src/store/store.js';
import { createProblem, PROGRAM, type Problem } from '../support/problem.js';

let p: Problem | undefined;
afterEach(() => p?.cleanup());

/** A stage script: prints BASE on the base program, runs BODY on any candidate. */
function stage(body: string, base = `echo '{"score": 1}'`): string {
  return `#!/bin/sh
if cmp -s program.mjs verifier/base-program.mjs; then
${base}
exit 0
fi
${body}
`;
}

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
  wallMs: number;
  evaluated: (CandidateRecord & { measurements: MeasurementRecord[] })[];
}

/** Runs 2 candidates of a problem whose score stage is `score.sh`; returns the evaluated ones. */
async function runWith(files: Record<string, string>, config: Record<string, unknown> = {}, candidates = 2): Promise<Outcome> {
  p = createProblem({
    files: { 'verifier/base-program.mjs': PROGRAM, ...files },
    config: {
      verifier: { stages: [{ name: 'score', kind: 'score', run: 'sh verifier/score.sh', timeout: '1s' }] },
      operators: { tune: 1 }, // the reasons below name the operator
      ...config,
    },
  });
  const started = Date.now();
  const r = await p.cli('run', '{dir}', '--max-candidates', String(candidates));
  const wallMs = Date.now() - started;
  const store = openStore(p.dir);
  try {
    const run = store.latestRun()!;
    const evaluated = store
      .listCandidates(run.id)
      .filter((c) => c.operator !== 'baseline' && c.status !== 'duplicate' && c.status !== 'invalid')
      .map((c) => ({ ...c, measurements: store.measurements(c.id) }));
    return { ...r, wallMs, evaluated };
  } finally {
    store.close();
  }
}

/** Every evaluated candidate failed with this kind; returns the first for detail checks. */
function expectFailed(o: Outcome, kind: string, reason: RegExp) {
  expect(o.code, o.stderr).toBe(0); // verifier failures are outcomes, not run errors
  expect(o.evaluated.length).toBeGreaterThan(0);
  for (const c of o.evaluated) {
    expect(c.status).toBe('failed');
    expect(c.reason).toMatch(new RegExp(`^${kind} in stage `));
    expect(c.reason).toMatch(reason);
  }
  expect(o.stdout).toMatch(new RegExp(`#\\d+ failed \\(tune\\): ${kind}`));
  return o.evaluated[0];
}

describe('verifier failures are recorded outcomes with a reason', () => {
  it('timeout: the stage is killed at its timeout', async () => {
    const o = await runWith({ 'verifier/score.sh': stage('sleep 30') });
    const c = expectFailed(o, 'timeout', /did not finish within its timeout of 1 s/);
    const m = c.measurements[0];
    expect(m).toMatchObject({ ok: false, failure: { kind: 'timeout' } });
    expect(m.durationMs).toBeGreaterThanOrEqual(1000);
    expect(m.durationMs).toBeLessThan(3000);
  });

  it('crash: exit code and the tail of stderr are in the reason', async () => {
    const o = await runWith({ 'verifier/score.sh': stage('echo "warming up" >&2\necho "boom: the frobnicator broke" >&2\nexit 3') });
    const c = expectFailed(o, 'crash', /exited with code 3.*boom: the frobnicator broke/s);
    expect(c.measurements[0]).toMatchObject({ exitCode: 3, failure: { kind: 'crash' } });
    expect(c.measurements[0].stderrTail).toContain('boom: the frobnicator broke');
  });

  it('killed by a signal', async () => {
    const o = await runWith({ 'verifier/score.sh': stage('node -e "process.kill(process.pid, \'SIGSEGV\')"\nexit $?') });
    expectFailed(o, 'signal', /SIGSEGV/);
  });

  it('no metrics', async () => {
    const o = await runWith({ 'verifier/score.sh': stage('echo "all good, I think"') });
    expectFailed(o, 'no-metrics', /reported no metrics/);
  });

  it('a number printed as a string: the failure names it and the fix', async () => {
    const o = await runWith({ 'verifier/score.sh': stage(`echo '{"score": "-1.5"}'`) });
    expectFailed(
      o,
      'no-metrics',
      /reported no metrics: "score" is the string "-1\.5" in JSON line 1 of stdout, not a number\. Fix: write it without quotes \("score": -1\.5\)/,
    );
  });

  it('a number too large for a double (1e999)', async () => {
    const o = await runWith({ 'verifier/score.sh': stage(`echo '{"score": 1e999}'`) });
    expectFailed(o, 'bad-metrics', /"score" .*too large for a number \(a value such as 1e999 reads as Infinity\)/);
  });

  it('NaN metrics', async () => {
    const o = await runWith({ 'verifier/score.sh': stage(`echo '{"score": NaN}'`) });
    expectFailed(o, 'bad-metrics', /"score".*not a finite number/);
  });

  it('non-numeric metrics', async () => {
    const o = await runWith({ 'verifier/score.sh': stage('echo "METRIC score=fast"') });
    expectFailed(o, 'bad-metrics', /"score" is not a finite number/);
  });

  it('an objective expression that is not finite', async () => {
    const o = await runWith(
      { 'verifier/score.sh': stage(`echo '{"score": 1, "zero": 0}'`, `echo '{"score": 1, "zero": 1}'`) },
      { objective: { expr: 'score / zero', goal: 'maximize' } },
    );
    expectFailed(o, 'bad-metrics', /not a finite number/);
  });

  it('missing objective metric', async () => {
    const o = await runWith({ 'verifier/score.sh': stage(`echo '{"speed": 2}'`) });
    expectFailed(o, 'missing-objective', /needs metric\(s\) score but the stages reported speed/);
  });

  it('a gate failure stops the cascade: the score stage never runs', async () => {
    const o = await runWith(
      {
        'verifier/gate.sh': stage('echo "test_sort: expected [1,2,3]" >&2\nexit 1', 'true'),
        'verifier/score.sh': `#!/bin/sh\ntouch "{tmp}/score-ran-$EVOLOOP_CANDIDATE"\necho '{"score": 1}'\n`,
      },
      {
        verifier: {
          stages: [
            { name: 'tests', kind: 'gate', run: 'sh verifier/gate.sh' },
            { name: 'score', kind: 'score', run: 'sh verifier/score.sh' },
          ],
        },
      },
    );
    const c = expectFailed(o, 'gate-failed', /stage tests: .*exited with code 1.*test_sort: expected \[1,2,3\]/s);
    expect(c.measurements.map((m) => m.stage)).toEqual(['tests']);
    // Only the baseline (candidate 1) reached the score stage.
    const ran = readdirSync(p!.tmp).filter((f) => f.startsWith('score-ran-'));
    expect(ran).toEqual(['score-ran-1']);
  });

  for (const sandbox of ['off', 'auto'] as const) {
    it(`a hanging stage that forked a sleeping grandchild dies at its timeout, grandchild included (sandbox ${sandbox})`, async () => {
      // The grandchild ignores SIGTERM and sleeps for a unique, recognizable time.
      const tag = `${Math.floor(Math.random() * 1e6) + 1000}.25`;
      const body = `trap '' TERM\nsh -c "trap '' TERM; sleep ${tag} & echo grandchild started >&2; wait" &\nwait`;
      const o = await runWith({ 'verifier/score.sh': stage(body) }, { sandbox }, 1);
      const c = expectFailed(o, 'timeout', /timeout of 1 s and was killed with all its processes/);
      expect(c.measurements[0].durationMs).toBeGreaterThanOrEqual(1000);
      expect(c.measurements[0].durationMs).toBeLessThan(2500);
      expect(c.measurements[0].stderrTail).toContain('grandchild started');
      // The whole run (baseline, one candidate, startup) is not held up by the grandchild.
      expect(o.wallMs).toBeLessThan(8000);
      expect(processesMatching(`sleep ${tag}`)).toEqual([]);
    });
  }
});

/** Live (non-zombie) processes whose command line contains `text`. */
function processesMatching(text: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(path.join('/proc', entry, 'cmdline'), 'utf8').replaceAll('\0', ' ');
      const stat = readFileSync(path.join('/proc', entry, 'stat'), 'utf8');
      if (cmdline.includes(text) && stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z') found.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}
