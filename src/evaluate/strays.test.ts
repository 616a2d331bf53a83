import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STAGE_TOKEN_ENV, newStageToken, stageScope, startTime } from './stage-token.js';
import { killStrayProcesses } from './strays.js';
import { isAlive } from '../../test/fixtures/verifiers/processes.js';

const root = mkdtempSync(join(tmpdir(), 'evoloop-strays-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A `sleep` in its own session (detached: setsid), as a stage's daemon would be; returns its pid. */
function daemon(opts: { token?: string; cwd?: string }): number {
  const env = { PATH: process.env.PATH, ...(opts.token && { [STAGE_TOKEN_ENV]: opts.token }) };
  const child = spawn('sleep', ['60'], { detached: true, stdio: 'ignore', env, cwd: opts.cwd ?? '/' });
  child.unref();
  return child.pid!;
}

async function deadOwnerToken(stateDir: string): Promise<string> {
  const gone = spawn('/bin/true');
  const start = startTime(gone.pid!) ?? 1;
  await new Promise((r) => gone.on('exit', r));
  return `evoloop-${gone.pid}-${start}-${stageScope(stateDir)}-fedcba987654`;
}

describe('killStrayProcesses', () => {
  it("kills the processes a gone evoloop's stages of this problem left (by token, or by cwd in its state folder), and nothing else", async () => {
    const stateDir = join(root, '.evoloop');
    mkdirSync(join(stateDir, 'worktrees', '0'), { recursive: true });
    const orphanToken = await deadOwnerToken(stateDir);
    const orphans = [daemon({ token: orphanToken }), daemon({ token: orphanToken })];
    const inPool = daemon({ cwd: join(stateDir, 'worktrees', '0') });
    const otherProblem = daemon({ token: await deadOwnerToken(join(root, 'other', '.evoloop')) }); // swept by its own problem's next run
    const live = daemon({ token: newStageToken(stageScope(stateDir)) }); // a stage of this (live) process
    const bystander = daemon({});
    await new Promise((r) => setTimeout(r, 200));
    try {
      expect(await killStrayProcesses(stateDir)).toBe(2); // one stage by token, one process group by cwd
      await new Promise((r) => setTimeout(r, 100));
      for (const pid of [...orphans, inPool]) expect(isAlive(pid), `stray ${pid}`).toBe(false);
      for (const pid of [otherProblem, live, bystander]) expect(isAlive(pid), `not a stray of this problem: ${pid}`).toBe(true);
      expect(await killStrayProcesses(stateDir)).toBe(0);
    } finally {
      for (const pid of [otherProblem, live, bystander]) process.kill(pid, 'SIGKILL');
    }
  });
});
