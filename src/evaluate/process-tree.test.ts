import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { CappedOutput, liveGroupMembers, runProcessTree } from './process-tree.js';
import { sh, treeOptions as options } from '../../test/support/tree-options.js';
import { isAlive } from '../../test/fixtures/verifiers/processes.js';

describe('CappedOutput', () => {
  it('keeps everything under the cap', () => {
    const out = new CappedOutput(100);
    out.push(Buffer.from('hello '));
    out.push(Buffer.from('world'));
    expect(out.text()).toBe('hello world');
  });

  it('keeps the first and last half with a marker counting what was dropped', () => {
    const out = new CappedOutput(10);
    for (const c of 'abcdefghijklmnopqrstuvwxyz') out.push(Buffer.from(c));
    expect(out.text()).toBe('abcde\n… [16 bytes omitted] …\nvwxyz');
  });

  it('handles chunks larger than the cap', () => {
    const out = new CappedOutput(10);
    out.push(Buffer.from('0123456789ABCDEFGHIJ'));
    out.push(Buffer.from('xy'));
    expect(out.text()).toBe('01234\n… [12 bytes omitted] …\nHIJxy');
  });
});

describe('runProcessTree', () => {
  it('returns exit code and output of a normal command', async () => {
    const r = await runProcessTree(sh('echo out; echo err >&2; exit 3'), options());
    expect(r).toMatchObject({ exitCode: 3, signal: null, stdout: 'out\n', stderr: 'err\n' });
    expect(r.killedFor).toBeUndefined();
  });

  it('kills the whole group at the timeout, even a grandchild holding stdout open', async () => {
    const started = Date.now();
    const r = await runProcessTree(sh('sleep 60 & echo $!; sleep 60'), options({ timeoutMs: 1000 }));
    const elapsed = Date.now() - started;
    const grandchild = Number(r.stdout.trim());
    expect(r.killedFor).toBe('timeout');
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeLessThan(2500);
    expect(grandchild).toBeGreaterThan(0);
    expect(isAlive(grandchild)).toBe(false);
  });

  it('escalates to SIGKILL when the group ignores SIGTERM', async () => {
    const started = Date.now();
    const r = await runProcessTree(sh("trap '' TERM; (trap '' TERM; sleep 60) & echo $!; sleep 60"), options({ timeoutMs: 500 }));
    expect(r.killedFor).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(2500);
    expect(isAlive(Number(r.stdout.trim()))).toBe(false);
  });

  it('cleans up background processes left behind by a command that exited', async () => {
    const started = Date.now();
    const r = await runProcessTree(sh('sleep 60 & echo $!; exit 0'), options());
    expect(r.exitCode).toBe(0);
    expect(r.killedFor).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1500);
    expect(isAlive(Number(r.stdout.trim()))).toBe(false);
  });

  it('kills the group when aborted', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const r = await runProcessTree(sh('sleep 60 & echo $!; sleep 60'), options({ signal: controller.signal }));
    expect(r.killedFor).toBe('abort');
    expect(isAlive(Number(r.stdout.trim()))).toBe(false);
  });

  it('kills a command that prints too much and keeps memory bounded', async () => {
    const r = await runProcessTree(['yes', 'spam'], options({ maxOutputBytes: 1000, killAfterOutputBytes: 5 * 1024 * 1024 }));
    expect(r.killedFor).toBe('output-limit');
    expect(r.stdout.length).toBeLessThan(1200);
    expect(r.stdout).toMatch(/bytes omitted/);
  });

  it('reports a command that cannot be started', async () => {
    const r = await runProcessTree(['/nonexistent/program'], options());
    expect(r.spawnError?.message).toMatch(/ENOENT/);
  });

  it('counts the live members of a process group', async () => {
    const child = spawn('/bin/sh', ['-c', 'sleep 60 & exec sleep 60'], { detached: true, stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 200));
    expect(liveGroupMembers(child.pid!)).toBe(2);
    process.kill(-child.pid!, 'SIGKILL');
    await new Promise((r) => child.on('exit', r));
    await new Promise((r) => setTimeout(r, 100));
    expect(liveGroupMembers(child.pid!)).toBe(0);
  });
});
