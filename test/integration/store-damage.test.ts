// A damaged store is refused in words (the file, what is wrong, the fix), never taken for a
// new one; a read-only store is still read; `evoloop doctor --repair` restores a run from the
// automatic backup so that `evoloop run` resumes it; elapsed time survives kill -9. Every
// case damages real files the way it happens (truncate, zero, overwrite, delete the WAL
// after a kill -9, a read-only mount, an immutable flag) and drives the real CLI.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { CLI, createProblem, waitWhileRunning, type CliResult, type Problem } from '../support/problem.js';

let p: Problem | undefined;
afterEach(() => {
  if (!p) return;
  if (existsSync(evoloopDir(p))) execFileSync('chattr', ['-R', '-i', evoloopDir(p)]); // or cleanup cannot delete it
  p.cleanup();
  p = undefined;
});

const evoloopDir = (q: Problem) => path.join(q.dir, '.evoloop');
const storeFile = (q: Problem) => path.join(evoloopDir(q), 'evoloop.db');
const backups = (q: Problem) => readdirSync(path.join(evoloopDir(q), 'backup')).filter((f) => f.endsWith('.db'));

/** A run of 3 candidates that stopped cleanly (so a backup was taken); returns its id. */
async function finishedRun(q: Problem): Promise<string> {
  const r = await q.cli('run', '{dir}', '-n', '3');
  expect(r.code, r.stderr).toBe(0);
  expect(backups(q)).toHaveLength(1);
  return JSON.parse((await q.cli('status', '{dir}', '--json')).stdout).run;
}

/** Exit 1, no stack trace, and the message says each of `patterns`. */
function expectRefused(r: CliResult, ...patterns: RegExp[]): void {
  expect(r.code, r.stdout + r.stderr).toBe(1);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  for (const pattern of patterns) expect(r.stderr).toMatch(pattern);
}

const NEWEST_BACKUP =
  /restores the newest good backup, \.evoloop\/backup\/evoloop-\d{8}T\d{9}Z\.db \(taken \d{4}-\d\d-\d\d \d\d:\d\d:\d\d, less than a minute ago\)/;

/** The test's environment without model keys (as support/problem.ts gives the CLI). */
function cliEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/(API_KEY|_TOKEN|_SECRET)$/i.test(name)));
  return {
    ...env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'test',
    GIT_AUTHOR_EMAIL: 'test@localhost',
    GIT_COMMITTER_NAME: 'test',
    GIT_COMMITTER_EMAIL: 'test@localhost',
    NO_COLOR: '1',
  };
}

/**
 * `evoloop <args>` in a private mount namespace where .evoloop is bound read-only: writes
 * fail with EROFS for every user, root included (we run as root, which ignores mode bits).
 */
function cliOnReadOnlyMount(q: Problem, ...args: string[]): Promise<CliResult> {
  const script = 'mount --bind -o ro "$1" "$1" && shift && exec "$@"';
  const child = spawn('unshare', ['-m', 'sh', '-c', script, 'sh', evoloopDir(q), process.execPath, CLI, ...args], { cwd: q.repo, env: cliEnv() });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Waits until the verifier has finished `ends` stages, then kills evoloop and its verifiers with SIGKILL. */
async function killMidRun(q: Problem, child: ChildProcess, ends: number): Promise<number> {
  await waitWhileRunning(
    child,
    () => {
      return q.log().filter(([e]) => e === 'end').length >= ends;
    },
    60_000,
    `${ends} finished stages`,
  );
  const killedAt = Date.now();
  process.kill(-child.pid!, 'SIGKILL');
  for (const [event, , , , pid] of q.log()) {
    if (event === 'start' && pid) {
      try {
        process.kill(-Number(pid), 'SIGKILL'); // each stage leads its own process group
      } catch {
        // already gone
      }
    }
  }
  await once(child, 'close');
  return killedAt;
}

describe('a damaged store is refused in words, with the fix', () => {
  it('a 0-byte database: status and run refuse, naming the backup; no new run starts; a deleted one likewise', async () => {
    p = createProblem();
    await finishedRun(p);
    truncateSync(storeFile(p), 0);
    expectRefused(await p.cli('status', '{dir}'), /the store .*\.evoloop\/evoloop\.db is empty \(0 bytes\)/, NEWEST_BACKUP);
    expectRefused(await p.cli('run', '{dir}', '-n', '3'), /evoloop\.db is empty \(0 bytes\)/, NEWEST_BACKUP);
    expect(statSync(storeFile(p)).size).toBe(0); // no new run was written into it

    rmSync(storeFile(p));
    expectRefused(await p.cli('run', '{dir}', '-n', '3'), /evoloop\.db is missing, but backups in backup\/ show that a store was here/, NEWEST_BACKUP);
    expect(existsSync(storeFile(p))).toBe(false);
  }, 120_000);

  it('a garbage header: status and show refuse', async () => {
    p = createProblem();
    await finishedRun(p);
    const fd = openSync(storeFile(p), 'r+');
    writeSync(fd, Buffer.from('{"oops": "a JSON file written over the store"}'), 0, 40, 0);
    closeSync(fd);
    expectRefused(await p.cli('status', '{dir}'), /evoloop\.db is not an SQLite database/, NEWEST_BACKUP);
    expectRefused(await p.cli('show', 'best', '{dir}'), /evoloop\.db is not an SQLite database/);
  }, 120_000);

  it('a truncated database: doctor reports it, --repair restores the backup, and run resumes the same run', async () => {
    p = createProblem();
    const runId = await finishedRun(p);
    truncateSync(storeFile(p), Math.floor(statSync(storeFile(p)).size / 2 / 4096) * 4096);
    expectRefused(await p.cli('status', '{dir}'), /evoloop\.db is cut off \(\d+ bytes; its header says \d+ pages/, NEWEST_BACKUP);

    const check = await p.cli('doctor', '{dir}');
    expect(check.code, check.stdout + check.stderr).toBe(1);
    expect(check.stdout).toMatch(/^problem\s+store\s+\.evoloop\/evoloop\.db is cut off .*Fix: `evoloop doctor --repair/m);

    const repair = await p.cli('doctor', '{dir}', '--repair');
    expect(repair.code, repair.stdout + repair.stderr).toBe(0);
    expect(repair.stdout).toMatch(
      /^fixed\s+store\s+.*restored the newest good backup, \.evoloop\/backup\/evoloop-\d+T\d+Z\.db .*kept as \.evoloop\/evoloop\.db\.damaged-\d+T\d+Z/m,
    );
    expect(readdirSync(evoloopDir(p)).some((f) => /^evoloop\.db\.damaged-/.test(f))).toBe(true);
    expect((await p.cli('doctor', '{dir}')).code).toBe(0);

    const status = JSON.parse((await p.cli('status', '{dir}', '--json')).stdout);
    expect(status).toMatchObject({ run: runId, candidates: 3 });
    const resumed = await p.cli('run', '{dir}', '-n', '5');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(`Continuing run ${runId}`);
    expect(JSON.parse((await p.cli('status', '{dir}', '--json')).stdout)).toMatchObject({ run: runId, candidates: 5 });
  }, 180_000);

  it('the WAL deleted after kill -9 (a stale -shm left): reported, not silently dropped; doctor --repair keeps what the database holds', async () => {
    p = createProblem({ sleep: 1 });
    const runId = await finishedRun(p);
    const child = p.spawnCli('run', '{dir}', '-n', '40');
    await killMidRun(p, child, 7); // 4 stages in the first session (baseline and 3 candidates), 3 in this one
    rmSync(`${storeFile(p)}-wal`);
    expect(existsSync(`${storeFile(p)}-shm`)).toBe(true);

    const lost =
      /evoloop\.db has lost its write-ahead log: evoloop\.db-wal is missing, but the evoloop process that was writing \(pid \d+, since .*\) never closed the store/;
    expectRefused(await p.cli('status', '{dir}'), lost, /Fix: `evoloop doctor --repair .*` keeps the database as of its last checkpoint/);
    expectRefused(await p.cli('run', '{dir}', '-n', '40'), lost);

    const repair = await p.cli('doctor', '{dir}', '--repair');
    expect(repair.code, repair.stdout + repair.stderr).toBe(0);
    expect(repair.stdout).toMatch(/^fixed\s+store\s+.*lost its write-ahead log.*kept the database as of .*: what was written after that is lost/m);
    // The first session's run is intact; of the killed session, what the background checkpoints
    // (store/checkpointer.ts) had copied into the database is kept, the rest is gone (and was said to be).
    const status = await p.cli('status', '{dir}', '--json');
    expect(status.code, status.stderr).toBe(0);
    const after = JSON.parse(status.stdout);
    expect(after.run).toBe(runId);
    expect(after.candidates).toBeGreaterThanOrEqual(3);
    expect(after.candidates).toBeLessThanOrEqual(7); // the 3 it evaluated, and one it may have admitted
    expect(['finished', 'interrupted']).toContain(after.status);
  }, 180_000);
});

describe('a read-only store', () => {
  it('on a read-only mount: status, ls, show and export read it; run says it cannot write and how to fix that', async () => {
    p = createProblem();
    const runId = await finishedRun(p);
    const status = await cliOnReadOnlyMount(p, 'status', p.dir, '--json');
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ run: runId, status: 'finished', candidates: 3 });
    const ls = await cliOnReadOnlyMount(p, 'ls', p.dir, '--json');
    expect(ls.code, ls.stderr).toBe(0);
    expect(JSON.parse(ls.stdout)).toHaveLength(4);
    const show = await cliOnReadOnlyMount(p, 'show', 'best', p.dir, '--json');
    expect(show.code, show.stderr).toBe(0);
    const exported = await cliOnReadOnlyMount(p, 'export', p.dir);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout.trim().split('\n')).toHaveLength(4);
    expect(readdirSync(evoloopDir(p))).not.toContain('evoloop.db-shm'); // nothing could be, or was, created

    const run = await cliOnReadOnlyMount(p, 'run', p.dir, '-n', '5');
    expectRefused(
      run,
      /evoloop cannot write its store: .*\.evoloop is on a read-only file system/,
      /status, ls, show and export work read-only/,
      /Fix: remount it read-write/,
    );
    expect(JSON.parse((await p.cli('status', '{dir}', '--json')).stdout)).toMatchObject({ run: runId, candidates: 3 });
  }, 120_000);

  it('immutable (chattr +i), and after a kill -9 left its WAL: status reads it; run says how to clear the flag', async () => {
    p = createProblem({ sleep: 1 });
    const child = p.spawnCli('run', '{dir}', '-n', '40');
    await killMidRun(p, child, 3);
    expect(existsSync(`${storeFile(p)}-wal`)).toBe(true);
    execFileSync('chattr', ['-R', '+i', evoloopDir(p)]);
    expect(() => writeFileSync(path.join(evoloopDir(p!), 'probe'), '')).toThrow(/EPERM/); // root is refused too

    const status = await p.cli('status', '{dir}', '--json');
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ status: 'interrupted' });
    expect(JSON.parse(status.stdout).candidates).toBeGreaterThanOrEqual(1); // read from the WAL
    expectRefused(
      await p.cli('run', '{dir}'),
      /evoloop cannot write its store: .* is immutable \(chattr \+i\)/,
      /Fix: clear the flag \(chattr -R -i \.evoloop\)/,
    );
  }, 120_000);
});

describe('evoloop doctor', () => {
  it('finds a missing ref, a stray pool entry, a dead owner and a failing backup; --repair fixes each; then all is ok', async () => {
    p = createProblem();
    const runId = await finishedRun(p);
    const s = new Store(storeFile(p));
    const [candidate] = s.listCandidates(runId, { status: ['accepted', 'rejected'] });
    s.updateRun(runId, { status: 'running', ownerPid: 2 ** 22 + 1, heartbeatAt: Date.now() - 60_000 }); // above pid_max: never alive
    s.close();
    p.git('update-ref', '-d', candidate.ref!);
    // The run removed its pool when it stopped; a stray entry is what a crash mid-cleanup would leave.
    mkdirSync(path.join(evoloopDir(p), 'worktrees'), { recursive: true });
    writeFileSync(path.join(evoloopDir(p), 'worktrees', 'left-behind'), 'x');
    writeFileSync(path.join(evoloopDir(p), 'backup', backups(p)[0]), 'not a database any more');

    const check = await p.cli('doctor', '{dir}', '--json');
    expect(check.code, check.stderr).toBe(1);
    const before = JSON.parse(check.stdout) as { healthy: boolean; checks: { check: string; status: string; detail: string; fix?: string }[] };
    expect(before.healthy).toBe(false);
    const byName = (list: typeof before.checks) => Object.fromEntries(list.map((c) => [c.check, c]));
    expect(byName(before.checks)).toMatchObject({
      store: { status: 'ok' },
      backups: { status: 'problem', detail: expect.stringMatching(/fails integrity_check/) },
      runs: { status: 'problem', detail: expect.stringMatching(new RegExp(`run ${runId} is marked running, but its process .* is gone`)) },
      refs: { status: 'problem', detail: expect.stringContaining(candidate.ref!) },
      worktrees: { status: 'problem', detail: expect.stringContaining('left-behind'), fix: expect.stringMatching(/removes the pool, which is always safe/) },
    });

    const repair = await p.cli('doctor', '{dir}', '--repair', '--json');
    expect(repair.code, repair.stdout + repair.stderr).toBe(0);
    const after = JSON.parse(repair.stdout) as typeof before;
    expect(byName(after.checks)).toMatchObject({
      store: { status: 'ok' },
      backups: { status: 'fixed' },
      runs: { status: 'fixed' },
      refs: { status: 'fixed' },
      worktrees: { status: 'fixed' },
    });
    expect(p.git('rev-parse', candidate.ref!)).toBe(candidate.commitSha);
    expect(existsSync(path.join(evoloopDir(p), 'worktrees'))).toBe(false);
    expect(readdirSync(path.join(evoloopDir(p), 'backup')).some((f) => f.endsWith('.db.bad'))).toBe(true);
    expect(JSON.parse((await p.cli('status', '{dir}', '--json')).stdout)).toMatchObject({ run: runId, status: 'interrupted' });

    const healthy = await p.cli('doctor', '{dir}');
    expect(healthy.code, healthy.stdout).toBe(0);
    expect(
      healthy.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(/\s+/).slice(0, 2).join(' ')),
    ).toEqual(['ok store', 'ok backups', 'ok runs', 'ok refs', 'ok worktrees']);
    // And the run goes on from there, recreating the pool.
    const resumed = await p.cli('run', '{dir}', '-n', '4');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(`Continuing run ${runId}`);
  }, 180_000);
});

describe('elapsed time across kill -9', () => {
  it('the heartbeat stores elapsed_ms: after kill -9 it is within a heartbeat of the time the session ran', async () => {
    p = createProblem({ sleep: 1 });
    const child = p.spawnCli('run', '{dir}', '-n', '100');
    // About 9 s of running: the first stage ends after ~1 s, then 8 more.
    const killedAt = await killMidRun(p, child, 9);
    const s = new Store(storeFile(p), { readonly: true });
    const run = s.latestRun()!;
    const runStart = s.events(run.id).find((e) => e.type === 'run-start')!.ts;
    s.close();
    const ran = killedAt - runStart;
    expect(ran).toBeGreaterThan(7_000);
    const HEARTBEAT_MS = 5_000;
    expect(run.elapsedMs).toBeGreaterThanOrEqual(ran - HEARTBEAT_MS - 1_000);
    expect(run.elapsedMs).toBeLessThanOrEqual(ran + 2_000);
    // status shows the stored time, not one that keeps growing for a dead run.
    const status = JSON.parse((await p.cli('status', '{dir}', '--json')).stdout);
    expect(status).toMatchObject({ status: 'interrupted', elapsedMs: run.elapsedMs });
  }, 120_000);
});
