// These tests need bubblewrap and fail (not skip) without it: CI installs it.
import { describe, it, expect, vi, afterAll } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { runStage, type StageInvocation, type StageSpec } from './run-stage.js';
import { sandboxStatus } from './sandbox.js';
import { FIXTURES, processesWithEnv, removeTempStageDirs, tempStageDirs } from '../../test/fixtures/verifiers/processes.js';

let serial = 0;
function setup(run: string, inv: Partial<StageInvocation> = {}, spec: Partial<StageSpec> = {}) {
  const dirs = tempStageDirs();
  const runId = `sandbox-test-${process.pid}-${++serial}`;
  return {
    ...dirs,
    runId,
    spec: { name: 'check', kind: 'gate', run, timeoutMs: 10_000, env: [], ...spec } satisfies StageSpec,
    inv: { cwd: dirs.worktree, worktree: dirs.worktree, scratchDir: dirs.scratchDir, runId, candidateId: 'c1', repeat: 0, seed: 1, sandbox: 'required', ...inv } satisfies StageInvocation,
  };
}

describe('sandbox', () => {
  afterAll(removeTempStageDirs);

  it('is available on this machine (install bubblewrap if this fails)', async () => {
    expect(await sandboxStatus()).toEqual({ available: true });
  });

  it('lets the stage write its worktree, metrics and artifacts, but nothing outside', async () => {
    const outsideVar = mkdtempSync('/var/tmp/evoloop-outside-');
    const s = setup(
      `echo a > ../leak; echo b > ${outsideVar}/leak; echo c > inside.txt; ` +
        `echo report > "$EVOLOOP_ARTIFACTS/r.txt"; echo '{"score": 1}' > "$EVOLOOP_METRICS"`,
      {},
      { kind: 'score' },
    );
    try {
      const r = await runStage(s.spec, s.inv);
      expect(r).toMatchObject({ ok: true, metrics: { score: 1 } });
      expect(r.stderrTail).toMatch(/Read-only file system/);
      expect(existsSync(join(s.root, 'leak'))).toBe(false); // it landed in the sandbox's private /tmp
      expect(existsSync(join(outsideVar, 'leak'))).toBe(false);
    } finally {
      rmSync(outsideVar, { recursive: true });
    }
    expect(readFileSync(join(s.worktree, 'inside.txt'), 'utf8')).toBe('c\n');
    expect(readFileSync(join(s.scratchDir, 'artifacts', 'r.txt'), 'utf8')).toBe('report\n');
  });

  it('has no network: a loopback server of the host cannot be reached', async () => {
    let connections = 0;
    const server = createServer((socket) => {
      connections++;
      socket.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const command = `node tcp-connect.mjs ${port}`;
      const open = await runStage(...args(withFixtures(setup(command, { sandbox: 'off' }), 'tcp-connect.mjs')));
      expect(open.stdoutTail.trim()).toBe('connected'); // the probe itself works
      const closed = await runStage(...args(withFixtures(setup(command), 'tcp-connect.mjs')));
      expect(closed.stdoutTail.trim()).toMatch(/^blocked/);
      expect(connections).toBe(1);
    } finally {
      server.close();
    }
  });

  it('lays read-only files over the worktree so the candidate cannot change the verifier', async () => {
    const s = setup('cat verify.sh; echo tampered > verify.sh; echo exit: $?');
    writeFileSync(join(s.worktree, 'verify.sh'), 'candidate version\n');
    const baseDir = join(s.root, 'base');
    mkdirSync(baseDir);
    writeFileSync(join(baseDir, 'verify.sh'), 'base version\n');
    const r = await runStage(s.spec, { ...s.inv, readOnlyBinds: [{ source: join(baseDir, 'verify.sh'), target: 'verify.sh' }] });
    expect(r.stdoutTail).toMatch(/^base version\nexit: [1-9]/);
    expect(readFileSync(join(s.worktree, 'verify.sh'), 'utf8')).toBe('candidate version\n');
    expect(readFileSync(join(baseDir, 'verify.sh'), 'utf8')).toBe('base version\n');
  });

  it('runs in the given cwd inside the worktree', async () => {
    const s = setup('pwd');
    mkdirSync(join(s.worktree, 'sub'));
    const r = await runStage(s.spec, { ...s.inv, cwd: join(s.worktree, 'sub') });
    expect(r.stdoutTail.trim()).toBe(join(s.worktree, 'sub'));
  });

  it('kills a sandboxed stage at its timeout, with everything it started', async () => {
    const s = setup('sleep 60 & sleep 60', {}, { timeoutMs: 800 });
    const started = Date.now();
    const r = await runStage(s.spec, s.inv);
    expect(Date.now() - started).toBeLessThan(2300);
    expect(r.failure?.kind).toBe('timeout');
    expect(processesWithEnv(`EVOLOOP_RUN=${s.runId}`)).toEqual([]);
  });

  it("with sandbox: 'required' and no bwrap, refuses with the fix; 'auto' runs unsandboxed", async () => {
    const savedPath = process.env.PATH;
    const s = setup('echo unsandboxed > /var/tmp/evoloop-auto-$EVOLOOP_RUN');
    vi.resetModules(); // the probe result is cached per module instance
    process.env.PATH = '/nonexistent';
    try {
      const fresh = await import('./run-stage.js');
      const freshSandbox = await import('./sandbox.js');
      expect(await freshSandbox.sandboxStatus()).toEqual({ available: false, reason: 'bwrap is not on PATH' });
      const err = await fresh.runStage(s.spec, s.inv).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(freshSandbox.SandboxUnavailableError);
      expect(String(err)).toMatch(/apt-get install bubblewrap.*sandbox: auto/);
      const r = await fresh.runStage(s.spec, { ...s.inv, sandbox: 'auto' });
      expect(r.ok).toBe(true);
      expect(existsSync(`/var/tmp/evoloop-auto-${s.runId}`)).toBe(true);
    } finally {
      process.env.PATH = savedPath;
      rmSync(`/var/tmp/evoloop-auto-${s.runId}`, { force: true });
    }
  });

  it('applies memory and process limits inside the sandbox too', async () => {
    const s = withFixtures(setup('node allocate.mjs 10 && node allocate.mjs 1000', {}, { memoryMb: 100, maxProcs: 32, kind: 'score' }), 'allocate.mjs');
    const r = await runStage(s.spec, s.inv);
    expect(r.stdoutTail).toContain('{"allocatedMb":10}');
    expect(r.failure?.kind).toBe('memory-limit');
  });
});

const args = (s: { spec: StageSpec; inv: StageInvocation }) => [s.spec, s.inv] as const;

/**
 * Copies fixture scripts into the stage's worktree, as a verifier's own files would be:
 * the sandbox hides the host's /tmp, where a checkout of this project may live.
 */
function withFixtures<T extends { worktree: string }>(s: T, ...names: string[]): T {
  for (const name of names) copyFileSync(`${FIXTURES}${name}`, join(s.worktree, name));
  return s;
}
