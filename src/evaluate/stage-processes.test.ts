import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { StageProcesses, bootTicksAgo, listProcesses, pidCursor, pidsSince, tokenOf } from './stage-processes.js';
import { STAGE_TOKEN_ENV, newStageToken } from './stage-token.js';
import { isAlive } from '../../test/fixtures/verifiers/processes.js';
import { processesWith } from '../../test/support/hostile-problem.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `marker` as a shell word whose quoting keeps the marker itself out of the parent's command line. */
const split = (marker: string) => `${marker.slice(0, 4)}""${marker.slice(4)}`;

/** Starts `script` as a detached leader with the token, as a stage would be. */
function stage(script: string, token: string) {
  const child = spawn('/bin/sh', ['-c', script], { detached: true, stdio: 'ignore', env: { PATH: process.env.PATH, [STAGE_TOKEN_ENV]: token } });
  return child;
}

describe('StageProcesses', () => {
  it('lists live processes with their parent, group and start time', () => {
    const me = listProcesses().find((p) => p.pid === process.ppid);
    expect(me).toMatchObject({ pid: process.ppid, start: expect.any(Number) });
  });

  it('finds a setsid double-forked daemon in / by its token, and kills it', async () => {
    const token = newStageToken();
    const marker = `evoloop-sp-token-${process.pid}-${Date.now()}`;
    const leader = stage(`setsid sh -c '(cd / && exec sh -c "while :; do sleep 1; done" ${split(marker)}) & exit 0' </dev/null; sleep 60`, token);
    const processes = new StageProcesses(token, leader.pid!);
    await sleep(300);
    const [daemon] = processesWith(marker);
    expect(tokenOf(daemon)).toBe(token);
    // A scan that never saw its parent still finds it: the token is inherited.
    expect(new StageProcesses(token, 999_999_999).scan().map((p) => p.pid)).toContain(daemon);
    expect(processes.scan().map((p) => p.pid)).toEqual(expect.arrayContaining([leader.pid, daemon]));
    await processes.killAll();
    expect(isAlive(daemon)).toBe(false);
    expect(isAlive(leader.pid!)).toBe(false);
  });

  it('keeps a daemon that dropped the token if a scan saw it while its parent lived (ancestry)', async () => {
    const token = newStageToken();
    const marker = `evoloop-sp-ancestry-${process.pid}-${Date.now()}`;
    const leader = stage(
      `setsid sh -c 'sleep 0.3; (cd / && exec env -i sh -c "while :; do sleep 1; done" ${split(marker)}) & sleep 0.5; exit 0' </dev/null; sleep 60`,
      token,
    );
    const processes = new StageProcesses(token, leader.pid!);
    for (let i = 0; i < 12; i++) {
      processes.scan();
      await sleep(100);
    }
    const [daemon] = processesWith(marker);
    expect(tokenOf(daemon)).toBeUndefined();
    expect(processes.scan().map((p) => p.pid)).toContain(daemon);
    // Without the recorded ancestry, nothing ties it to the stage any more.
    expect(new StageProcesses(token, leader.pid!).scan().map((p) => p.pid)).not.toContain(daemon);
    await processes.killAll();
    expect(isAlive(daemon)).toBe(false);
  });

  it("reads each process once across stages, yet finds a later stage's new daemon by its token and keeps one that exec'd the token away", async () => {
    const early = newStageToken();
    const marker = `evoloop-sp-cache-${process.pid}-${Date.now()}`;
    // A stage whose process drops its token by exec after a scan has seen it.
    const dropper = stage(`sleep 0.4; exec env -i sh -c "while :; do sleep 1; done" ${split(`${marker}-drop`)}`, early);
    await sleep(150);
    expect(new StageProcesses(early, 999_999_999).scan().map((p) => p.pid)).toContain(dropper.pid);
    await sleep(500);
    expect(tokenOf(dropper.pid!)).toBeUndefined(); // its environment no longer says so
    expect(new StageProcesses(early, 999_999_999).scan().map((p) => p.pid)).toContain(dropper.pid); // still the early stage's
    // Every process on the machine has been read now; a stage started after that is found all the same.
    const late = newStageToken();
    const leader = stage(`setsid sh -c '(cd / && exec sh -c "while :; do sleep 1; done" ${split(`${marker}-late`)}) & exit 0' </dev/null; sleep 60`, late);
    await sleep(300);
    const [daemon] = processesWith(`${marker}-late`);
    const lateScan = new StageProcesses(late, 999_999_999).scan().map((p) => p.pid);
    expect(lateScan).toContain(daemon);
    expect(lateScan).not.toContain(dropper.pid);
    await new StageProcesses(late, leader.pid!).killAll();
    await new StageProcesses(early, dropper.pid!).killAll();
    expect(isAlive(daemon)).toBe(false);
    expect(isAlive(dropper.pid!)).toBe(false);
  });

  it('does not read the environment of processes older than the stage (they cannot have been handed its token)', async () => {
    const token = newStageToken();
    const holder = stage('sleep 30', token);
    await sleep(1500);
    expect(new StageProcesses(token, 999_999_999, bootTicksAgo(5)).scan().map((p) => p.pid)).toContain(holder.pid);
    expect(new StageProcesses(token, 999_999_999, bootTicksAgo(0)).scan().map((p) => p.pid)).not.toContain(holder.pid);
    await new StageProcesses(token, holder.pid!).killAll();
  });

  it('reads only processes started since the stage opened, when the pid cursor says which they are', async () => {
    const token = newStageToken();
    const holder = stage('sleep 30', token);
    await sleep(200);
    const afterHolder = pidCursor()!;
    const marker = `evoloop-sp-cursor-${process.pid}-${Date.now()}`;
    const leader = stage(`setsid sh -c '(cd / && exec sh -c "while :; do sleep 1; done" ${split(marker)}) & exit 0' </dev/null; sleep 60`, token);
    await sleep(300);
    const [daemon] = processesWith(marker);
    const scan = new StageProcesses(token, leader.pid!, 0, afterHolder).scan().map((p) => p.pid);
    expect(scan).toEqual(expect.arrayContaining([leader.pid, daemon]));
    // The holder carries the token too, but started before the cursor: it cannot be this stage's, and is not read.
    expect(scan).not.toContain(holder.pid);
    expect(new StageProcesses(token, leader.pid!, 0).scan().map((p) => p.pid)).toContain(holder.pid);
    // A cursor the leader does not fit is not trusted: everything is read.
    const wrong = { ...afterHolder, lastPid: leader.pid! + 5 };
    expect(new StageProcesses(token, leader.pid!, 0, wrong).scan().map((p) => p.pid)).toEqual(expect.arrayContaining([holder.pid, leader.pid, daemon]));
    await new StageProcesses(token, leader.pid!).killAll();
  });
});

describe('pidsSince', () => {
  const at = (lastPid: number, forks: number, tasks = 100) => ({ lastPid, forks, tasks });

  it('is the pids given out after the first cursor, up to the second', () => {
    const since = pidsSince(at(5000, 10_000), at(5100, 10_090), 32_768)!;
    expect([5000, 5001, 5100, 5101, 4000].map(since)).toEqual([false, true, true, false, false]);
  });

  it('goes round once where the allocator wrapped at pid_max', () => {
    const since = pidsSince(at(32_700, 10_000), at(400, 10_400), 32_768)!;
    expect([32_700, 32_701, 32_767, 300, 400, 401, 20_000].map(since)).toEqual([false, true, true, true, true, false, false]);
  });

  it('gives up (every pid) when the allocator may have gone all the way round', () => {
    expect(pidsSince(at(5000, 10_000, 1000), at(5100, 10_000 + 15_800, 1000), 32_768)).toBeUndefined();
    expect(pidsSince(at(5000, 10_000, 1000), at(5100, 10_000 + 15_000, 1000), 32_768)).toBeDefined();
    expect(pidsSince(at(5000, 10_000), undefined, 32_768)).toBeUndefined();
  });
});
