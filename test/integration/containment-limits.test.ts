// Resource limits and processes that outlive their stage, end to end (issue 8, items 6, 9
// and 10): candidate 2, proposed by the scripted model server, allocates without end, forks
// without end, leaves a setsid daemon in /, fills the sandbox's /tmp or the worktree; each
// is stopped by a default limit (or the kill at the stage's end), recorded with the limit's
// kind, key and value, and never accepted. Controls show the same code passes once the
// limit is raised, i.e. that the limit, not something else, stopped it.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { startFakeLlmServer } from '../support/fake-llm-server.js';
import { createHostileProblem, MODE_ON_REPLY, processesWith, type HostileOptions, type HostileProblem } from '../support/hostile-problem.js';
import { CLI, runCli, waitFor, waitWhileRunning } from '../support/problem.js';

const made: HostileProblem[] = [];
afterAll(() => made.forEach((p) => p.cleanup()));

function scoreStage(extra: Record<string, unknown> = {}) {
  return { name: 'score', kind: 'score', run: 'node verifier/score.mjs', timeout: '60s', ...extra };
}

/** One run of one model proposal; candidate 2 is the hostile one. */
async function runHostile(opts: HostileOptions) {
  const p = createHostileProblem({ via: 'model', ...opts });
  made.push(p);
  const { summary } = await p.run(1);
  const c = p.candidate(2);
  expect(c.operator, 'the model must have proposed candidate 2').toBe('llm-diff');
  const [m] = p.measurements(2);
  return { p, c, m, summary };
}

/** The processes with `m` in their command line, without their children caught between fork and exec. */
function daemonsWith(m: string): number[] {
  const found = processesWith(m);
  const parentOf = (pid: number) => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  };
  return found.filter((pid) => {
    try {
      return !found.includes(parentOf(pid));
    } catch {
      return false; // exited meanwhile
    }
  });
}

function killAll(m: string): void {
  for (const pid of processesWith(m)) process.kill(pid, 'SIGKILL');
}

const marker = (what: string) => `evoloop-limits-${what}-${process.pid}-${Date.now()}`;
/** The marker as a shell word whose quoting keeps it out of the command lines of the daemon's parents. */
const word = (m: string) => `${m.slice(0, 4)}""${m.slice(4)}`;

describe('memory', () => {
  // Buffer.alloc maps zeroed pages lazily: 10 GB "allocated", hardly any of it resident.
  const tenGb = 'globalThis.keep = Array.from({ length: 160 }, () => Buffer.alloc(64 << 20));';

  it.each(['off', 'required'])('a 10 GB allocation with the default limits fails as memory-limit (sandbox %s)', async (sandbox) => {
    const { c, m, summary } = await runHostile({ hostile: tenGb, config: { sandbox, verifier: { stages: [scoreStage()] } } });
    expect(c.status).toBe('failed');
    expect(c.reason).toMatch(/^memory-limit in stage score: .*ran out of memory under its limit of 4096 MB \(memory_mb\).*raise memory_mb/s);
    expect(m.failure?.kind).toBe('memory-limit');
    expect(summary.accepted).toBe(0);
  });

  it('control: the same allocation is accepted once memory_mb is raised above it', async () => {
    const { c } = await runHostile({ hostile: tenGb, config: { verifier: { stages: [scoreStage({ memory_mb: 16384 })] } } });
    expect(c.status).toBe('accepted');
  });

  it.each(['off', 'required'])('four processes each under memory_mb but together over it fail as memory-limit (sandbox %s)', async (sandbox) => {
    // 4 × 1.5 GB, touched: each process passes RLIMIT_DATA; only the stage's cgroup sees the sum.
    const hostile = `
const kids = Array.from({ length: 4 }, () => child_process.spawn(process.execPath, ['-e', 'const b = Buffer.alloc(1536 << 20, 1); setTimeout(() => b, 20000)'], { stdio: 'inherit' }));
await Promise.all(kids.map((k) => new Promise((r) => k.on('exit', r))));`;
    const { c, m } = await runHostile({ hostile, config: { sandbox, verifier: { stages: [scoreStage()] } } });
    expect(c.status).toBe('failed');
    expect(c.reason).toMatch(/^memory-limit in stage score: .*4096 MB \(memory_mb\)/);
    expect(m.durationMs).toBeLessThan(15_000);
  });
});

describe('processes', () => {
  it.each(['off', 'required'])(
    'a fork bomb with the default limits fails as process-limit well before the timeout, and nothing is left (sandbox %s)',
    async (sandbox) => {
      const m = marker(`bomb-${sandbox}`);
      // Bounded at 3000 processes in case the limit does not hold; bash goes on after a refused fork.
      const bomb = `i=0; while [ $i -lt 3000 ]; do sh -c 'while :; do sleep 1; done' ${word(m)} & i=$((i+1)); done; wait`;
      const {
        c,
        m: measured,
        summary,
      } = await runHostile({
        hostile: `child_process.spawnSync('bash', ['-c', ${JSON.stringify(bomb)}], { stdio: 'inherit' });`,
        config: { sandbox, verifier: { stages: [scoreStage()] } },
      });
      expect(c.status).toBe('failed');
      expect(c.reason).toMatch(/^process-limit in stage score: .*hit its process limit \(max_procs: 1024\).*raise max_procs/s);
      expect(measured.durationMs).toBeLessThan(20_000); // the timeout is 60 s
      expect(summary.accepted).toBe(0);
      expect(processesWith(m)).toEqual([]);
    },
  );

  it.each(['off', 'required'])('a setsid, double-forked daemon in / dies when its stage ends (sandbox %s)', async (sandbox) => {
    const m = marker(`daemon-${sandbox}`);
    const log = `{tmp}/daemon-${sandbox}.log`;
    // The daemon keeps writing: to a file outside the repository when it can (sandbox off).
    const daemon = `cd / && exec sh -c "while :; do date +%s%N >> ${log} 2>/dev/null; sleep 0.1; done" ${word(m)}`;
    const { p, c } = await runHostile({
      hostile: `child_process.spawnSync('setsid', ['sh', '-c', ${JSON.stringify(`(${daemon}) & exit 0`)}], { stdio: 'ignore' });`,
      config: { sandbox, verifier: { stages: [scoreStage()] } },
    });
    expect(c.status).not.toBe('failed');
    expect(processesWith(m)).toEqual([]);
    const logFile = log.replace('{tmp}', p.tmp);
    if (sandbox === 'off') {
      expect(existsSync(logFile), 'the daemon really ran and wrote outside the repository').toBe(true);
      const size = statSync(logFile).size;
      await new Promise((r) => setTimeout(r, 500));
      expect(statSync(logFile).size).toBe(size);
    } else {
      expect(existsSync(logFile)).toBe(false);
    }
  });
});

describe('a daemon left by a stage when evoloop is killed with -9', () => {
  const hostileOf = (m: string, gate: string) => `
const daemon = ${JSON.stringify(`(cd / && exec sh -c "while :; do sleep 1; done" ${word(m)}) & exit 0`)};
child_process.spawnSync('setsid', ['sh', '-c', daemon], { stdio: 'ignore' });
// The first time, stay in the stage so that evoloop is killed mid-stage.
if (!fs.existsSync(${JSON.stringify(gate)})) {
  fs.writeFileSync(${JSON.stringify(gate)}, '');
  await new Promise((r) => setTimeout(r, 30000));
}`;

  async function killMidStage(p: HostileProblem, m: string, baseUrl: string): Promise<{ daemons: number[]; child: ChildProcess }> {
    const child = spawn(process.execPath, [CLI, 'run', p.dir, '--model', 'openai:scripted', '--base-url', baseUrl, '--max-candidates', '1'], {
      cwd: p.dir,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const { value: daemons } = await waitWhileRunning(
      child,
      () => {
        const found = daemonsWith(m);
        return found.length > 0 && found;
      },
      60_000,
      'the daemon of candidate 2',
    );
    process.kill(-child.pid!, 'SIGKILL'); // evoloop only: its stages run in sessions of their own
    await once(child, 'close');
    return { daemons, child };
  }

  it('sandbox off: it outlives evoloop, and the next `evoloop run` kills it before going on', async () => {
    const m = marker('orphan-off');
    const p = createHostileProblem({
      via: 'model',
      hostile: hostileOf(m, '{tmp}/first-attempt'),
      config: { sandbox: 'off', verifier: { stages: [scoreStage()] } },
    });
    made.push(p);
    const server = await startFakeLlmServer({ steps: [{ reply: MODE_ON_REPLY }], whenExhausted: 'repeat-last' });
    try {
      const { daemons } = await killMidStage(p, m, server.openaiBaseUrl);
      await new Promise((r) => setTimeout(r, 300));
      expect(daemonsWith(m), 'unconfined, the daemon outlives evoloop').toEqual(daemons);

      const r = await runCli(['run', p.dir, '--model', 'openai:scripted', '--base-url', server.openaiBaseUrl, '--max-candidates', '1'], p.dir);
      expect(r.code, r.stderr).toBe(0);
      expect(processesWith(m)).toEqual([]);
      expect(r.stdout).toMatch(/killed [1-9]\d* verifier process group\(s\) left running by an earlier evoloop process/);
      expect(p.candidate(2).status).not.toBe('pending');
    } finally {
      await server.close();
      killAll(m); // a failed assertion must not leave the daemon behind
    }
  });

  it('sandbox required: it dies with evoloop (the sandbox ends with its parent)', async () => {
    const m = marker('orphan-required');
    // The gate file lives in the worktree here: the sandbox lets the stage write nowhere else.
    const p = createHostileProblem({
      via: 'model',
      hostile: hostileOf(m, 'first-attempt'),
      config: { sandbox: 'required', verifier: { stages: [scoreStage()] } },
    });
    made.push(p);
    const server = await startFakeLlmServer({ steps: [{ reply: MODE_ON_REPLY }], whenExhausted: 'repeat-last' });
    try {
      await killMidStage(p, m, server.openaiBaseUrl);
      await waitFor(() => processesWith(m).length === 0, 5_000, 'the daemon to die with its sandbox');
    } finally {
      await server.close();
      killAll(m);
    }
  });
});

describe('disk', () => {
  const files = { '.gitignore': 'cache/\n' };
  // fallocate allocates the blocks for real (a sparse file would take none).
  const plant = (size: string) => `fs.mkdirSync('cache', { recursive: true }); child_process.execFileSync('fallocate', ['-l', '${size}', 'cache/blob']);`;

  it.each(['off', 'required'])('a 100 MB file planted in an ignored folder past disk_mb: 64 fails as disk-limit (sandbox %s)', async (sandbox) => {
    const { c, m, summary } = await runHostile({ hostile: plant('100M'), files, config: { sandbox, verifier: { stages: [scoreStage({ disk_mb: 64 })] } } });
    expect(c.status).toBe('failed');
    expect(c.reason).toMatch(/^disk-limit in stage score: .*more than its limit of 64 MB \(disk_mb\).*raise disk_mb/s);
    expect(m.failure?.kind).toBe('disk-limit');
    expect(summary.accepted).toBe(0);
  });

  it('the 2 GiB file of the issue fails as disk-limit under the default disk_mb', async () => {
    const { c } = await runHostile({ hostile: plant('2G'), files, config: { verifier: { stages: [scoreStage()] } } });
    expect(c.status).toBe('failed');
    expect(c.reason).toMatch(/^disk-limit in stage score: .*1024 MB \(disk_mb\)/);
  });

  it('control: the 100 MB file is accepted once disk_mb is raised above it', async () => {
    const { c } = await runHostile({ hostile: plant('100M'), files, config: { verifier: { stages: [scoreStage({ disk_mb: 256 })] } } });
    expect(c.status).toBe('accepted');
  });
});

describe('the sandbox /tmp', () => {
  // Writes 600 MB to $TMPDIR in 1 MB pieces, then removes it: more than the default tmp_mb (512).
  const fill = `
const file = path.join(process.env.TMPDIR ?? '/tmp', 'evoloop-fill-' + process.pid);
const chunk = Buffer.alloc(1 << 20, 1);
try {
  const fd = fs.openSync(file, 'w');
  for (let i = 0; i < 600; i++) fs.writeSync(fd, chunk);
  fs.closeSync(fd);
} finally {
  fs.rmSync(file, { force: true });
}`;

  it('sandbox required: filling /tmp past tmp_mb fails with a clear limit reason', async () => {
    const { c, m, summary } = await runHostile({ hostile: fill, config: { sandbox: 'required', verifier: { stages: [scoreStage()] } } });
    expect(c.status).toBe('failed');
    expect(c.reason).toMatch(/^disk-limit in stage score: .*filled its private \/tmp, 512 MB of RAM \(tmp_mb\).*raise tmp_mb/s);
    expect(m.failure?.kind).toBe('disk-limit');
    expect(summary.accepted).toBe(0);
  });

  it('control: sandbox required with tmp_mb raised above it, the same writes are accepted', async () => {
    const { c } = await runHostile({ hostile: fill, config: { sandbox: 'required', verifier: { stages: [scoreStage({ tmp_mb: 1024 })] } } });
    expect(c.status).toBe('accepted');
  });
});

describe('the run-start notice', () => {
  it('says in one line how stages are contained here and what is not', async () => {
    const p = createHostileProblem({ via: 'model', config: { sandbox: 'off' } });
    made.push(p);
    const { events } = await p.run(1);
    const notice = events.find((e) => e.type === 'notice' && e.message.startsWith('limits: '));
    expect(notice && 'message' in notice && notice.message).toMatch(
      /^limits: cgroup v1 holds each stage, and all its processes are killed when it ends\. Not contained: .*not counted\.$/,
    );
  });
});
