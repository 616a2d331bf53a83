import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../test/fixtures/verifiers/processes.js';
import { runProcessTree } from './process-tree.js';
import { sh, treeOptions as options } from '../../test/support/tree-options.js';
import { runStage } from './run-stage.js';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const tmp = mkdtempSync(path.join(tmpdir(), 'evoloop-launcher-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the stage launcher', () => {
  it("starts stages from a helper process whose environment holds PATH only, not from evoloop's own", async () => {
    process.env.EVOLOOP_LAUNCHER_TEST_MARKER = 'must-not-reach-a-stage';
    const r = await runProcessTree(sh(`echo $PPID; tr '\\0' '\\n' < /proc/$PPID/environ`), options());
    const [parent, ...environ] = r.stdout.trim().split('\n');
    expect(Number(parent)).not.toBe(process.pid);
    expect(environ).toContain(`PATH=${process.env.PATH}`);
    // Node's own channel variables besides PATH, nothing else.
    expect(environ.filter((kv) => !kv.startsWith('PATH=') && !kv.startsWith('NODE_CHANNEL_'))).toEqual([]);
  });

  it("hands a stage no descriptor of the launcher's channel to evoloop (a stage could forge another stage's output through it)", async () => {
    const r = await runProcessTree(sh('for fd in /proc/$$/fd/*; do echo "${fd##*/} $(readlink $fd)"; done'), options());
    const sockets = r.stdout
      .trim()
      .split('\n')
      .filter((line) => line.includes('socket:'))
      .map((line) => Number(line.split(' ')[0]));
    expect(sockets).toEqual([1, 2]);
  });

  it('forwards all of a flood of output, so the caps see every byte', async () => {
    const r = await runProcessTree(sh('head -c 20000000 /dev/zero | tr "\\0" x'), options({ maxOutputBytes: 1000 }));
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('[19999000 bytes omitted]');
    const flood = await runProcessTree(sh('head -c 20000000 /dev/zero; sleep 30'), options({ killAfterOutputBytes: 1_000_000 }));
    expect(flood.killedFor).toBe('output-limit');
  });

  it('a stage that kills the process that started it fails on its own, and the next stage starts', async () => {
    const dir = mkdtempSync(path.join(tmp, 'stage-'));
    const stage = (run: string) =>
      runStage(
        { name: 'score', kind: 'score', run, timeoutMs: 10_000, env: [] },
        { cwd: dir, worktree: dir, runId: 'r', candidateId: '2', repeat: 0, seed: 1, scratchDir: path.join(dir, `s-${Math.random()}`), sandbox: 'off' },
      );
    const hostile = await stage('kill -9 $PPID; sleep 0.5; echo METRIC score=1000');
    expect(hostile.ok).toBe(false);
    expect(hostile.failure?.kind).toBe('crash');
    expect(hostile.failure?.message).toMatch(/ended without a result.*stage launcher .* exited \(SIGKILL\)/);
    expect(hostile.metrics).toEqual({});
    const next = await stage('echo METRIC score=1');
    expect(next.ok).toBe(true);
    expect(next.metrics).toEqual({ score: 1 });
  });

  it('a stage that kills its launcher first thing is a crash, never a start failure, and what it left running is killed', async () => {
    const dir = mkdtempSync(path.join(tmp, 'stage-'));
    // Five times: the launcher dies before or after it has sent the leader's pid, and both must end the same way.
    for (let i = 0; i < 5; i++) {
      // The stray is found by its command line, not a pid file: the sweep may kill the shell before it writes one.
      const marker = `30.${process.pid}${i}`;
      const r = await runStage(
        { name: 'score', kind: 'score', run: `kill -9 $PPID; sleep ${marker} & wait`, timeoutMs: 10_000, env: [] },
        { cwd: dir, worktree: dir, runId: 'r', candidateId: '3', repeat: 0, seed: 1, scratchDir: path.join(dir, `s-${i}`), sandbox: 'off' },
      );
      expect(r.ok).toBe(false);
      expect(r.failure?.kind).toBe('crash');
      expect(r.failure?.message).toMatch(/stage launcher .* exited \(SIGKILL\)/);
      expect(processesRunning(`sleep\0${marker}`)).toEqual([]);
    }
  });

  it('when the launcher dies, the stages it ran fail and all their processes are killed', async () => {
    const first = await runProcessTree(sh('echo $PPID'), options());
    const helper = Number(first.stdout.trim());
    const marker = `launcher-orphan-${process.pid}-${Date.now()}`;
    const running = [1, 2].map((i) => runProcessTree(sh(`echo $$; exec sleep 30 # ${marker}-${i}`), options()));
    await new Promise((r) => setTimeout(r, 300));
    process.kill(helper, 'SIGKILL');
    const started = Date.now();
    const results = await Promise.all(running);
    expect(Date.now() - started).toBeLessThan(3000);
    for (const r of results) {
      expect(r.lost?.message).toMatch(/stage launcher \(pid \d+\) exited \(SIGKILL\)/);
      expect(r.spawnError).toBeUndefined();
      expect(isAlive(Number(r.stdout.trim()))).toBe(false);
    }
  });

  it('does not keep evoloop alive once its stages are done', async () => {
    const src = `
      import { runProcessTree } from ${JSON.stringify(path.resolve('src/evaluate/process-tree.ts'))};
      const r = await runProcessTree(['/bin/sh', '-c', 'echo hi'], { cwd: '/tmp', env: { PATH: process.env.PATH }, timeoutMs: 5000, maxOutputBytes: 1000, killAfterOutputBytes: 1e9 });
      console.log(r.stdout.trim());`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', src], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((done) => {
      const timer = setTimeout(() => (child.kill('SIGKILL'), done(-1)), 15_000);
      child.on('exit', (c) => (clearTimeout(timer), done(c)));
    });
    expect({ code, out: out.trim() }).toEqual({ code: 0, out: 'hi' });
  });
});

/** Live (not zombie) processes whose command line contains `needle` (arguments joined by NUL). */
function processesRunning(needle: string): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle) && !/^\S+ \(.*\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}
