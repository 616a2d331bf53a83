// The containment of one stage, in both modes: with a cgroup (this machine: root, cgroup v1)
// and with the /proc fallback (forced), through a real process tree.
import { afterAll, describe, expect, it } from 'vitest';
import { StageContainment, containmentNotice } from './containment.js';
import { DEFAULT_LIMITS, type StageLimits } from './limits.js';
import { runProcessTree } from './process-tree.js';
import { stageScope } from './stage-token.js';
import { isAlive, removeTempStageDirs, tempStageDirs } from '../../test/fixtures/verifiers/processes.js';
import { processesWith } from '../../test/support/hostile-problem.js';

afterAll(removeTempStageDirs);

/** Runs `script` as a stage would run it: shell prelude, token, watch, kill of everything at the end. */
async function contained(script: string, opts: { limits?: Partial<StageLimits>; cgroup: boolean; timeoutMs?: number }) {
  const dirs = tempStageDirs();
  const containment = await StageContainment.open({
    limits: { ...DEFAULT_LIMITS, ...opts.limits },
    diskDirs: [dirs.worktree],
    sandboxed: false,
    scope: stageScope(''),
    cgroup: opts.cgroup,
  });
  const started = Date.now();
  try {
    const tree = await runProcessTree(containment.command(['/bin/sh', '-c', script]), {
      cwd: dirs.worktree,
      env: { PATH: process.env.PATH!, ...containment.env },
      timeoutMs: opts.timeoutMs ?? 20_000,
      maxOutputBytes: 64 * 1024,
      killAfterOutputBytes: 1 << 30,
      watch: containment.watch,
      killStragglers: () => containment.killAll(),
    });
    const hit = await containment.finish(tree);
    return { tree, hit, elapsed: Date.now() - started, worktree: dirs.worktree };
  } finally {
    await containment.close();
  }
}

const marker = (what: string) => `evoloop-ct-${what}-${process.pid}-${Date.now()}`;
/** The marker as a shell word that keeps it out of the command lines of the daemon's parents. */
const word = (m: string) => `${m.slice(0, 4)}""${m.slice(4)}`;
const BOMB = (m: string) => `i=0; while [ $i -lt 3000 ]; do sh -c 'sleep 30' ${word(m)} & i=$((i+1)); done; wait`;

describe.each([true, false])('a stage contained %s', (cgroup) => {
  const mode = cgroup ? 'with a cgroup' : 'through /proc';

  it(`${mode}: a fork bomb is stopped at max_procs quickly, and nothing is left`, async () => {
    const m = marker(`bomb-${cgroup}`);
    const r = await contained(BOMB(m), { limits: { maxProcs: 40 }, cgroup });
    expect(r.hit).toBe('max_procs');
    expect(r.elapsed).toBeLessThan(5000);
    expect(processesWith(m)).toEqual([]);
  });

  it(`${mode}: a stage that kills its launcher first thing is lost, not unstarted, and what it left running dies`, async () => {
    // Three times: the launcher dies before or after the leader's pid came back, and both must end the same way.
    for (let i = 0; i < 3; i++) {
      const m = marker(`launcher-${cgroup}-${i}`);
      const r = await contained(`kill -9 $PPID; sh -c 'sleep 30' ${word(m)} & wait`, { cgroup });
      expect(r.tree.spawnError).toBeUndefined();
      expect(r.tree.lost?.message).toMatch(/stage launcher .* exited \(SIGKILL\)/);
      expect(processesWith(m)).toEqual([]);
    }
  });

  it(`${mode}: a setsid, double-forked daemon in / dies when the stage ends`, async () => {
    const m = marker(`daemon-${cgroup}`);
    const r = await contained(`setsid sh -c '(cd / && exec sh -c "while :; do sleep 1; done" ${word(m)}) & echo $!' </dev/null; sleep 0.3; echo done`, {
      cgroup,
    });
    expect(r.tree.exitCode).toBe(0);
    expect(r.hit).toBeUndefined();
    expect(processesWith(m)).toEqual([]);
  });

  it(`${mode}: writing past disk_mb stops the stage with disk_mb; a sparse file does not count`, async () => {
    const sparse = await contained('truncate -s 4G sparse; sleep 0.8; echo ok', { limits: { diskMb: 8 }, cgroup });
    expect(sparse.hit).toBeUndefined();
    const r = await contained('i=0; while [ $i -lt 100 ]; do fallocate -l 1M f$i; i=$((i+1)); sleep 0.05; done; sleep 30', { limits: { diskMb: 8 }, cgroup });
    expect(r.hit).toBe('disk_mb');
    expect(r.tree.killedFor).toBe('limit');
    expect(r.elapsed).toBeLessThan(6000);
  });

  it(`${mode}: a burst past disk_mb right before exiting is caught by the check at the end`, async () => {
    // The watch walks the disk at its first tick (100 ms, or 250 with a cgroup) and then not for
    // 500 ms: a burst at 450 ms, just before exiting, falls between two walks on a loaded machine
    // too (at once, the first walk could catch it whenever the shell started late).
    const r = await contained('sleep 0.45; fallocate -l 32M burst; exit 0', { limits: { diskMb: 8 }, cgroup });
    expect(r.tree.killedFor).toBeUndefined();
    expect(r.hit).toBe('disk_mb');
  });
});

describe('memory', () => {
  it('with a cgroup: processes that together exceed memory_mb are reported as memory_mb', async () => {
    const eat = `node -e 'const a = Buffer.alloc(48 << 20, 1); setTimeout(() => a, 1000)'`;
    const r = await contained(`${eat} & ${eat} & ${eat} & ${eat} & wait; echo survived`, { limits: { memoryMb: 128 }, cgroup: true });
    expect(r.hit).toBe('memory_mb');
  });

  it('without one: a single allocation past memory_mb is refused (RLIMIT_DATA) and reported as memory_mb', async () => {
    const r = await contained(`node -e 'Buffer.alloc(512 << 20, 1)'`, { limits: { memoryMb: 128 }, cgroup: false });
    expect(r.tree.exitCode).not.toBe(0);
    expect(r.hit).toBe('memory_mb');
  });
});

describe('the run-start notice', () => {
  it('says which cgroup holds stages and what is not contained, in one line', async () => {
    const sandboxed = await containmentNotice(true);
    const bare = await containmentNotice(false);
    expect(sandboxed).toMatch(
      /^limits: cgroup v1 holds each stage, and all its processes are killed when it ends\. Not contained: disk_mb is checked every 500 ms/,
    );
    expect(bare).toMatch(/files written outside the worktree and the scratch folder \(e\.g\. \/tmp\) are not counted\.$/);
    for (const line of [sandboxed, bare]) expect(line).not.toContain('\n');
  });
});

it('a stage that finishes normally is not disturbed', async () => {
  const r = await contained('echo hello; mkdir -p out && echo x > out/file', { cgroup: true });
  expect(r).toMatchObject({ hit: undefined, tree: { exitCode: 0, stdout: 'hello\n' } });
  expect(isAlive(process.pid)).toBe(true);
});
