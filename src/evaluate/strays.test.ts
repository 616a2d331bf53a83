import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STAGE_TOKEN_ENV, newStageToken, startTime } from './stage-token.js';
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

async function deadOwnerToken(): Promise<string> {
  const gone = spawn('/bin/true');
  const start = startTime(gone.pid!) ?? 1;
  await new Promise((r) => gone.on('exit', r));
  return `evoloop-${gone.pid}-${start}-fedcba9876543210`;
}

describe('killStrayProcesses', () => {
  it("kills processes of a gone evoloop's stages (by token, or by cwd in the state folder), and nothing else", async () => {
    const stateDir = join(root, '.evoloop');
    mkdirSync(join(stateDir, 'worktrees', '0'), { recursive: true });
    const orphanToken = await deadOwnerToken();
    const orphans = [daemon({ token: orphanToken }), daemon({ token: orphanToken })];
    const inPool = daemon({ cwd: join(stateDir, 'worktrees', '0') });
    const live = daemon({ token: newStageToken() }); // a stage of this (live) process
    const bystander = daemon({});
    await new Promise((r) => setTimeout(r, 200));
    try {
      // One stage by token, one process group by cwd (and any orphan another test left on this machine).
      expect(await killStrayProcesses(stateDir)).toBeGreaterThanOrEqual(2);
      await new Promise((r) => setTimeout(r, 100));
      for (const pid of [...orphans, inPool]) expect(isAlive(pid), `stray ${pid}`).toBe(false);
      expect(isAlive(live)).toBe(true);
      expect(isAlive(bystander)).toBe(true);
    } finally {
      for (const pid of [live, bystander]) process.kill(pid, 'SIGKILL');
    }
  });
});
