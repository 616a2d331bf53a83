// These tests need a writable memory and pids controller (root on this machine and in CI);
// where that is not so they fail, saying so, rather than skip.
import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { StageCgroup, cgroupSupport } from './cgroup.js';
import { newStageToken, stageScope, startTime } from './stage-token.js';
import { isAlive } from '../../test/fixtures/verifiers/processes.js';

/** Runs a shell script inside the cgroup (joined before the script runs, as the stage's shell prelude does). */
function runIn(cgroup: StageCgroup, script: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const join = 'for f; do [ "$f" = -- ] && break; echo $$ > "$f" || exit 125; shift; done; shift; exec /bin/sh -c "$@"';
  const child = spawn('/bin/sh', ['-c', join, 'sh', ...cgroup.procsFiles(), '--', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((done) => child.on('exit', (code, signal) => done({ code, signal, stdout, stderr })));
}

async function create(limits = { memoryMb: 256, maxProcs: 64 }, token = newStageToken()): Promise<StageCgroup> {
  const cgroup = await StageCgroup.create(token, limits);
  expect(cgroup, 'no writable cgroup on this machine').toBeDefined();
  return cgroup!;
}

describe('StageCgroup', () => {
  it('finds a writable memory and pids controller here', async () => {
    const { bases } = await cgroupSupport();
    expect(Object.keys(bases).sort()).toEqual(['memory', 'pids']);
  });

  it('caps the number of tasks and records that the cap was hit', async () => {
    const cgroup = await create({ memoryMb: 256, maxProcs: 5 });
    try {
      expect(await cgroup.hit()).toBeUndefined();
      const r = await runIn(cgroup, 'for i in 1 2 3 4 5 6 7 8; do sleep 5 & done; echo started');
      expect(r.stderr).toMatch(/fork/i);
      expect(await cgroup.hit()).toBe('max_procs');
    } finally {
      await cgroup.remove();
    }
  });

  it('caps the memory of all its processes together, and records the OOM kill', async () => {
    const cgroup = await create({ memoryMb: 64, maxProcs: 64 });
    try {
      // Four processes of 32 MB each: each is under the limit, together they are not.
      const eat = `node -e 'const a = Buffer.alloc(32 << 20, 1); setTimeout(() => a, 1000)'`;
      const r = await runIn(cgroup, `${eat} & ${eat} & ${eat} & ${eat} & wait`);
      expect(r.code).toBe(0);
      expect(await cgroup.hit()).toBe('memory_mb');
    } finally {
      await cgroup.remove();
    }
  });

  it('kills a daemon that left its session and group and moved to /, and removes itself', async () => {
    const cgroup = await create();
    const r = await runIn(cgroup, `setsid sh -c 'cd /; sleep 60 & echo $!' </dev/null`);
    const daemon = Number(r.stdout.trim());
    expect(isAlive(daemon)).toBe(true);
    expect(await cgroup.members()).toContain(daemon);
    await cgroup.remove();
    expect(isAlive(daemon)).toBe(false);
    for (const file of cgroup.procsFiles()) expect(existsSync(file)).toBe(false);
  });

  it("sweeps its problem's cgroups of an evoloop process that is gone, and leaves a live one's and another problem's alone", async () => {
    const scope = stageScope(`/problem/${process.pid}/.evoloop`);
    const gone = spawn('/bin/true');
    const goneStart = startTime(gone.pid!) ?? 1;
    await new Promise((r) => gone.on('exit', r));
    const orphanName = `evoloop-${gone.pid}-${goneStart}-${scope}-0123456789ab`;
    const orphan = await create(undefined, orphanName);
    const otherProblems = await create(undefined, `evoloop-${gone.pid}-${goneStart}-${stageScope('/elsewhere/.evoloop')}-0123456789ab`);
    const live = await create(undefined, newStageToken(scope));
    const daemonIn = async (cgroup: StageCgroup) => Number((await runIn(cgroup, 'setsid sleep 60 </dev/null >/dev/null & echo $!')).stdout.trim());
    try {
      const [inOrphan, inOther, inLive] = [await daemonIn(orphan), await daemonIn(otherProblems), await daemonIn(live)];
      expect(await StageCgroup.sweepOrphans(scope)).toEqual([orphanName]);
      expect(isAlive(inOrphan)).toBe(false);
      expect(isAlive(inOther)).toBe(true);
      expect(isAlive(inLive)).toBe(true);
      for (const file of orphan.procsFiles()) expect(existsSync(file)).toBe(false);
      // Once empty, another problem's orphan goes too (nothing runs in it), without counting as swept.
      process.kill(inOther, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 100));
      expect(await StageCgroup.sweepOrphans(scope)).toEqual([]);
      for (const file of otherProblems.procsFiles()) expect(existsSync(file)).toBe(false);
    } finally {
      for (const cgroup of [live, otherProblems, orphan]) await cgroup.remove();
    }
  });
});
