import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runStage, stageEnv, type StageInvocation, type StageSpec } from './run-stage.js';
import { FIXTURES, isAlive, processesWithEnv, removeTempStageDirs, tempStageDirs } from '../../test/fixtures/verifiers/processes.js';

afterAll(removeTempStageDirs);

let serial = 0;
function setup(spec: Partial<StageSpec> & { run: string }, inv: Partial<StageInvocation> = {}) {
  const dirs = tempStageDirs();
  const runId = `test-run-${process.pid}-${++serial}`;
  const fullSpec: StageSpec = { name: 'score', kind: 'score', timeoutMs: 10_000, env: [], ...spec };
  const fullInv: StageInvocation = {
    cwd: dirs.worktree,
    worktree: dirs.worktree,
    scratchDir: dirs.scratchDir,
    runId,
    candidateId: 'c42',
    repeat: 2,
    seed: 1234,
    sandbox: 'off',
    ...inv,
  };
  return { spec: fullSpec, inv: fullInv, runId, ...dirs };
}
const run = (spec: Partial<StageSpec> & { run: string }, inv: Partial<StageInvocation> = {}) => {
  const s = setup(spec, inv);
  return runStage(s.spec, s.inv);
};

describe('stage environment', () => {
  const saved = { ...process.env };
  beforeAll(() => {
    Object.assign(process.env, {
      OPENAI_API_KEY: 'sk-openai',
      ANTHROPIC_API_KEY: 'sk-ant',
      MY_API_KEY: 'k',
      MY_TOKEN: 't',
      MY_SECRET: 's',
      MY_SETTING: 'visible',
      UNLISTED_VAR: 'hidden',
      EXACT_NAME: 'exact',
    });
  });
  afterAll(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  });

  it('passes only base variables, allowed names and EVOLOOP_* values, never secrets', async () => {
    const s = setup({ run: 'env; echo METRIC x=1', env: ['MY_*', 'EXACT_NAME'] });
    const r = await runStage(s.spec, s.inv);
    expect(r.ok).toBe(true);
    const env = Object.fromEntries(
      r.stdoutTail
        .split('\n')
        .filter((l) => l.includes('=') && !l.startsWith('METRIC'))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(env).toMatchObject({
      MY_SETTING: 'visible',
      EXACT_NAME: 'exact',
      PATH: process.env.PATH,
      EVOLOOP_SEED: '1234',
      EVOLOOP_RUN: s.runId,
      EVOLOOP_CANDIDATE: 'c42',
      EVOLOOP_STAGE: 'score',
      EVOLOOP_REPEAT: '2',
      EVOLOOP_ARTIFACTS: join(s.scratchDir, 'artifacts'),
      PYTHONDONTWRITEBYTECODE: '1',
    });
    // An unguessable name in a folder of its own, outside the worktree and the scratch folder.
    expect(env.EVOLOOP_METRICS).toMatch(new RegExp(`^${tmpdir()}/evoloop-m-[^/]+/[0-9a-f]{32}\\.json$`));
    for (const name of ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'MY_API_KEY', 'MY_TOKEN', 'MY_SECRET', 'UNLISTED_VAR']) {
      expect(env[name], name).toBeUndefined();
    }
    expect(r.stdoutTail).not.toContain('sk-');
  });

  it('refuses an allow-list that names a secret, before running anything', async () => {
    await expect(run({ run: 'touch ran', env: ['OPENAI_API_KEY'] })).rejects.toThrow(/secret/);
    await expect(run({ run: 'true', env: [] }, { extraEnv: { GITHUB_TOKEN: 'x' } })).rejects.toThrow(/GITHUB_TOKEN/);
  });

  it('stageEnv filters a given environment', () => {
    expect(stageEnv(['A_*'], { A_X: '1', A_TOKEN: '2', B: '3', HOME: '/h' })).toEqual({ A_X: '1', HOME: '/h' });
  });

  it("never passes a model's api_key_env, whatever its name, even through an allow-list", async () => {
    expect(stageEnv(['LLM*'], { LLM_CRED_VAR: 'sk-1', LLM_OTHER: 'ok' }, ['LLM_CRED_VAR'])).toEqual({ LLM_OTHER: 'ok' });
    process.env.LLM_CRED_VAR = 'sk-should-not-leak';
    try {
      const s = setup({ run: 'env', kind: 'gate', env: ['LLM*'] });
      const r = await runStage(s.spec, { ...s.inv, secrets: ['LLM_CRED_VAR'] });
      expect(r.stdoutTail).not.toContain('sk-should-not-leak');
    } finally {
      delete process.env.LLM_CRED_VAR;
    }
  });
});

describe('metrics channels through a real process', () => {
  it('reads METRIC lines', async () => {
    const r = await run({ run: 'echo METRIC a=1; echo METRIC b=2.5' });
    expect(r).toMatchObject({ ok: true, metrics: { a: 1, b: 2.5 }, exitCode: 0, seed: 1234, repeat: 2 });
  });

  it('reads the report printed last (here a JSON line after a METRIC line)', async () => {
    const r = await run({ run: `echo METRIC a=1; echo '{"b": 2, "feedback": "nice"}'; echo done` });
    expect(r).toMatchObject({ ok: true, metrics: { b: 2 }, feedback: 'nice' });
  });

  it('reads $EVOLOOP_METRICS first, and the seed reaches the stage', async () => {
    const r = await run({ run: `echo '{"b": 2}'; printf '{"seed": %s}' "$EVOLOOP_SEED" > "$EVOLOOP_METRICS"` });
    expect(r).toMatchObject({ ok: true, metrics: { seed: 1234 } });
  });

  it('gives each invocation a fresh empty metrics file, removed afterwards, and an artifacts folder', async () => {
    const s = setup({
      run: 'echo "$EVOLOOP_METRICS"; [ -s "$EVOLOOP_METRICS" ] && echo stale; echo \'{"a": 1}\' > "$EVOLOOP_METRICS"; echo report > "$EVOLOOP_ARTIFACTS/report.txt"',
    });
    const first = await runStage(s.spec, s.inv);
    const second = await runStage(s.spec, s.inv);
    expect(first.metrics).toEqual({ a: 1 });
    expect(second.stdoutTail).not.toContain('stale');
    const paths = [first, second].map((r) => r.stdoutTail.trim());
    expect(paths[0]).not.toBe(paths[1]);
    for (const p of paths) expect(existsSync(p)).toBe(false);
    expect(readFileSync(join(s.scratchDir, 'artifacts', 'report.txt'), 'utf8')).toBe('report\n');
  });

  it('with metrics: lines, reads only METRIC lines; a conflicting report is ambiguous-metrics', async () => {
    const lines = await run({ run: `echo '{"score": 1000}'; echo '{"score": 5}' > "$EVOLOOP_METRICS"; echo METRIC score=10`, metrics: 'lines' });
    expect(lines).toMatchObject({ ok: true, metrics: { score: 10 } });
    const auto = await run({ run: `echo '{"score": 1000}'; echo METRIC score=10` });
    expect(auto.failure?.kind).toBe('ambiguous-metrics');
    expect(auto.failure?.message).toMatch(/"score".*1000.*10.*metrics: file/);
  });

  it('a gate whose reports disagree still passes: its metrics count for nothing', async () => {
    const r = await run({ run: 'echo METRIC progress=1; echo METRIC progress=2', kind: 'gate', name: 'tests' });
    expect(r).toMatchObject({ ok: true, metrics: {} });
  });

  it('does not trust a metrics file written after the top process exited (a leftover process)', async () => {
    // The leftover leaves the process group (setsid) and keeps stdout open, so it outlives the exit.
    const r = await run({ run: `echo '{"score": 1}' > "$EVOLOOP_METRICS"; setsid sh -c 'sleep 0.3; echo "{\\"score\\": 1000}" > "$EVOLOOP_METRICS"' &` });
    // Either the leftover was swept before it wrote, or its write is refused; never used.
    expect(r.metrics.score).not.toBe(1000);
    if (!r.ok) expect(r.failure?.message).toMatch(/changed after the stage's top process had exited/);
    else expect(r.metrics).toEqual({ score: 1 });
  });

  it('fails with no-metrics for a score stage that reports nothing, but a gate passes on exit 0', async () => {
    const score = await run({ run: 'echo all good' });
    expect(score.ok).toBe(false);
    expect(score.failure?.kind).toBe('no-metrics');
    expect(score.failure?.message).toMatch(/EVOLOOP_METRICS.*METRIC name=value/);
    const gate = await run({ run: 'echo all good', kind: 'gate', name: 'tests' });
    expect(gate).toMatchObject({ ok: true, metrics: {}, stage: 'tests', kind: 'gate' });
  });

  it('fails with bad-metrics for NaN, naming the metric', async () => {
    const r = await run({ run: 'echo METRIC speed=nan' });
    expect(r.failure?.kind).toBe('bad-metrics');
    expect(r.failure?.message).toContain('"speed"');
    const j = await run({ run: `echo '{"score": null}'` });
    expect(j.failure?.kind).toBe('bad-metrics');
  });

  it('rejects a metrics file replaced by something that is not a regular file', async () => {
    const r = await run({ run: 'rm "$EVOLOOP_METRICS"; ln -s /dev/zero "$EVOLOOP_METRICS"; echo METRIC a=1' });
    expect(r.failure?.kind).toBe('bad-metrics');
  });
});

describe('failures', () => {
  it('reports a crash with the exit code and the last lines of stderr, and keeps FEEDBACK', async () => {
    const r = await run({ run: 'for i in $(seq 1 50); do echo "line $i" >&2; done; echo "FEEDBACK 3 tests failed"; exit 3', kind: 'gate' });
    expect(r).toMatchObject({ ok: false, exitCode: 3, feedback: '3 tests failed' });
    expect(r.failure?.kind).toBe('crash');
    expect(r.failure?.message).toMatch(/exited with code 3/);
    expect(r.failure?.message).toContain('line 50');
    expect(r.failure?.message).not.toContain('line 10\n');
  });

  it('reports death by a signal it did not get from us', async () => {
    const r = await run({ run: 'kill -SEGV $$' });
    expect(r.failure?.kind).toBe('signal');
    expect(r.failure?.message).toContain('SIGSEGV');
  });

  it('times out with a message naming the limit and the fix, killing a grandchild that holds stdout', async () => {
    const started = Date.now();
    const r = await run({ run: 'sleep 60 & echo $!; sleep 60', timeoutMs: 1000 });
    expect(Date.now() - started).toBeLessThan(2500);
    expect(r.failure?.kind).toBe('timeout');
    expect(r.failure?.message).toMatch(/timeout of 1 s.*raise the stage's timeout/);
    expect(isAlive(Number(r.stdoutTail.trim()))).toBe(false);
  });

  it('rejects with the abort reason and kills the stage when aborted', async () => {
    const controller = new AbortController();
    const s = setup({ run: 'sleep 60' }, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('run stopping')), 300);
    await expect(runStage(s.spec, s.inv)).rejects.toThrow('run stopping');
    expect(processesWithEnv(`EVOLOOP_RUN=${s.runId}`)).toEqual([]);
  });

  it('reports a missing cwd as spawn-error', async () => {
    const s = setup({ run: 'true' });
    const r = await runStage(s.spec, { ...s.inv, cwd: join(s.worktree, 'missing') });
    expect(r.failure?.kind).toBe('spawn-error');
    expect(r.failure?.message).toContain('missing');
  });

  it('refuses a cwd outside the worktree (a programmer error)', async () => {
    await expect(run({ run: 'true' }, { cwd: '/' })).rejects.toThrow(/outside the worktree/);
  });
});

describe('output limits', () => {
  it('keeps head and tail of large output and still reads metrics from the last line', async () => {
    const r = await run({ run: `echo FIRST; head -c 300000 /dev/zero | tr '\\0' x; echo; echo '{"score": 5}'`, maxOutputBytes: 2000 });
    expect(r).toMatchObject({ ok: true, metrics: { score: 5 } });
    expect(r.stdoutTail.startsWith('FIRST\nxxx')).toBe(true);
    expect(r.stdoutTail).toMatch(/\n… \[\d+ bytes omitted\] …\n/);
    expect(r.stdoutTail.length).toBeLessThan(2100);
  });

  it('kills a stage printing without end (1 GB would not fit) with output-limit', async () => {
    const s = setup({ run: 'yes "a line of spam"', killAfterOutputBytes: 20 * 1024 * 1024, maxOutputBytes: 4096 });
    const started = Date.now();
    const r = await runStage(s.spec, s.inv);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r.failure?.kind).toBe('output-limit');
    expect(r.failure?.message).toMatch(/killAfterOutputBytes/);
    expect(r.stdoutTail.length).toBeLessThan(4200);
    expect(processesWithEnv(`EVOLOOP_RUN=${s.runId}`)).toEqual([]);
  });
});

describe('resource limits', () => {
  it('reports memory-limit when a stage allocates ten times its memoryMb', async () => {
    const ok = await run({ run: `node ${FIXTURES}allocate.mjs 10`, memoryMb: 256 });
    expect(ok).toMatchObject({ ok: true, metrics: { allocatedMb: 10 } });
    const r = await run({ run: `node ${FIXTURES}allocate.mjs 2560`, memoryMb: 256 });
    expect(r.failure?.kind).toBe('memory-limit');
    expect(r.failure?.message).toMatch(/256 MB.*raise memory_mb/);
  });

  it('reports memory-limit for a Python MemoryError too', async () => {
    const r = await run({ run: `python3 -c 'a = bytearray(640 * 1024 * 1024)'`, memoryMb: 64 });
    expect(r.failure?.kind).toBe('memory-limit');
  });

  it('stops a fork bomb at maxProcs, well before its timeout, and leaves no process behind', async () => {
    // Depth-bounded (at most ~4000 processes even if no limit held) so a broken
    // limit cannot take a shared machine down; with maxProcs 16 far fewer ever exist.
    const bomb = 'bomb() { [ "$1" -gt 0 ] || return 0; bomb $(($1 - 1)) | bomb $(($1 - 1)) & }; sleep 60 & bomb 11; wait';
    const s = setup({ run: bomb, kind: 'gate', maxProcs: 16, timeoutMs: 10_000 });
    const started = Date.now();
    const r = await runStage(s.spec, s.inv);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(r.failure?.kind).toBe('process-limit');
    expect(r.failure?.message).toMatch(/process limit \(max_procs: 16\).*raise max_procs/);
    expect(r.stderrTail).toMatch(/fork/i);
    expect(processesWithEnv(`EVOLOOP_RUN=${s.runId}`)).toEqual([]);
  });

  it('fails a stage that exits 0 after some of its forks were refused (process-limit), rather than trusting its metrics', async () => {
    // The subshell gives up at the first refused fork; the script itself still ends with exit 0.
    const run = '(for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 2 & done); echo \'{"score": 1}\'; exit 0';
    const s = setup({ run, kind: 'score', maxProcs: 4, timeoutMs: 5000 });
    const r = await runStage(s.spec, s.inv);
    expect(r.exitCode).toBe(0);
    expect(r.failure?.kind).toBe('process-limit');
    expect(r.failure?.message).toMatch(/process limit \(max_procs: 4\).*raise max_procs/);
    expect(r.metrics).toEqual({});
    // The control: the same script under a roomy limit is fine.
    const ok = await runStage({ ...s.spec, maxProcs: 64 }, s.inv);
    expect(ok).toMatchObject({ ok: true, metrics: { score: 1 } });
  });
});
