// Hostile candidates against verifier integrity, the sandbox and the resource limits,
// end to end: a real run (offline `tune`, real git, real SQLite, real processes) whose
// candidate 2 does the hostile thing (see test/support/hostile-problem.ts), then what the
// store, `status` and `show` say about it. Each containment test has a sandbox-off control
// where that matters, proving the hostile code really does what it claims when unconfined.
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createHostileProblem, processesWith, SCORE_VERIFIER, type HostileOptions, type HostileProblem } from '../support/hostile-problem.js';

const EVIL_VERIFIER = 'console.log(JSON.stringify({ score: 1000 }));\n';

const made: HostileProblem[] = [];
afterAll(() => made.forEach((p) => p.cleanup()));

/** A problem whose candidate 2 is hostile, after one run of one proposal. */
async function runHostile(opts: HostileOptions) {
  const p = createHostileProblem(opts);
  made.push(p);
  const { summary, events } = await p.run(1);
  const c = p.candidate(2);
  expect(c.description, 'tune must have switched MODE on').toMatch(/program\.mjs:\d+ 0 → -?1/);
  return { p, c, summary, events };
}

function scoreStage(extra: Record<string, unknown> = {}) {
  return { name: 'score', kind: 'score', run: 'node verifier/score.mjs', timeout: '20s', ...extra };
}

describe('a candidate that rewrites the verifier while it runs', () => {
  const hostile = `fs.writeFileSync('verifier/score.mjs', ${JSON.stringify(EVIL_VERIFIER)});`;

  it('sandbox off: the hash check marks it tampered, never accepted, and every view says so', async () => {
    const { p, c, summary, events } = await runHostile({ hostile });
    expect(p.worktreeFile('verifier/score.mjs')).toBe(EVIL_VERIFIER); // it really did rewrite it
    expect(c.status).toBe('tampered');
    expect(c.flags).toContain('tampered');
    expect(c.reason).toMatch(/^tampered in stage score: changed protected file\(s\) while stage score ran: verifier\/score\.mjs/);
    expect(summary.bestCandidate).toBe(1);
    expect(summary.integrity.tampered).toEqual([2]);
    expect(events.some((e) => e.type === 'notice' && /candidate 2 TAMPERED/.test(e.message))).toBe(true);

    const status = await p.cliJson('status');
    expect(status.integrity.tampered).toEqual([2]);
    expect(status.accepted).toBe(0);
    const text = await p.cli('status');
    expect(text.stdout).toMatch(/!! TAMPERED .*#2/);
    const show = await p.cliJson('show', '2');
    expect(show.status).toBe('tampered');
    expect(show.measurements[0].failure.kind).toBe('tampered');
  });

  it('sandbox required: the base verifier is bound read-only, so the write fails and the verifier is intact', async () => {
    const { p, c, summary } = await runHostile({ hostile, config: { sandbox: 'required' } });
    expect(p.worktreeFile('verifier/score.mjs')).toBe(SCORE_VERIFIER);
    expect(c.status).toBe('failed');
    expect(c.reason).toMatch(/^crash in stage score: .*exited with code 1/);
    expect(c.reason).toMatch(/EROFS: read-only file system, open 'verifier\/score\.mjs'/);
    expect(summary.accepted).toBe(0);
    expect(summary.bestCandidate).toBe(1);
  });

  it('sandbox off: a rewrite that puts back size, mtime and inode (touch -r) is still caught', async () => {
    // Regression: the guard skipped re-hashing files whose size, mtime and inode were unchanged,
    // so this candidate used to be ACCEPTED with score 1000.
    const evil = EVIL_VERIFIER.padEnd(SCORE_VERIFIER.length, ' ');
    const { p, c } = await runHostile({
      hostile: `
const f = 'verifier/score.mjs';
const ref = path.join(process.env.TMPDIR ?? '/tmp', 'evoloop-mtime-ref-' + process.pid);
fs.writeFileSync(ref, '');
child_process.execFileSync('touch', ['-r', f, ref]);
fs.writeFileSync(f, ${JSON.stringify(evil)});
child_process.execFileSync('touch', ['-r', ref, f]);
fs.rmSync(ref);`,
      config: {
        verifier: {
          stages: [
            // Loads the program first (the worktree's verifier file was already checked, with the baseline).
            { name: 'load', kind: 'gate', run: 'node -e "await import(\'./program.mjs\')"', timeout: '20s' },
            scoreStage(),
          ],
        },
      },
    });
    expect(p.worktreeFile('verifier/score.mjs')).toBe(evil);
    expect(c.status).toBe('tampered');
    expect(c.reason).toMatch(/^tampered in stage load: .*verifier\/score\.mjs/);
    expect(c.score).toBeNull();
  });

  it('sandbox off: deleting the verifier is tampering too', async () => {
    const { c } = await runHostile({ hostile: `fs.rmSync('verifier/score.mjs');` });
    expect(c.status).toBe('tampered');
    expect(c.reason).toMatch(/verifier\/score\.mjs \(deleted\)/);
  });
});

describe('a candidate that edits the verifier through a symlink', () => {
  const hostile = `fs.symlinkSync('verifier/score.mjs', 'notes.txt'); fs.writeFileSync('notes.txt', ${JSON.stringify(EVIL_VERIFIER)});`;

  it('sandbox off: tampered', async () => {
    const { p, c, summary } = await runHostile({ hostile });
    expect(p.worktreeFile('verifier/score.mjs')).toBe(EVIL_VERIFIER);
    expect(c.status).toBe('tampered');
    expect(c.flags).toContain('tampered');
    expect(c.reason).toMatch(/changed protected file\(s\) while stage score ran: verifier\/score\.mjs/);
    expect(summary.integrity.tampered).toEqual([2]);
  });

  it('sandbox required: blocked by the read-only bind', async () => {
    const { p, c, summary } = await runHostile({ hostile, config: { sandbox: 'required' } });
    expect(p.worktreeFile('verifier/score.mjs')).toBe(SCORE_VERIFIER);
    expect(c.status).toBe('failed');
    expect(c.reason).toMatch(/EROFS: read-only file system, open 'notes\.txt'/);
    expect(summary.accepted).toBe(0);
  });
});

describe('a candidate that writes outside its worktree', () => {
  // Two targets: the user's own checkout (the problem folder the run started from) and a
  // folder outside /tmp (the sandbox gives stages a private /tmp, so that one tests read-only /).
  const targets = () => {
    const outside = mkdtempSync('/var/tmp/evoloop-outside-');
    return { outside, file: path.join(outside, 'pwned.txt') };
  };
  const hostile = (checkout: string, file: string) =>
    `fs.writeFileSync(${JSON.stringify(path.join(checkout, 'pwned.txt'))}, 'x'); fs.writeFileSync(${JSON.stringify(file)}, 'x');`;

  it('sandbox required: nothing is created; the candidate fails with the error recorded', async () => {
    const { outside, file } = targets();
    try {
      const { p, c } = await runHostile({ hostile: (dir) => hostile(dir, file), config: { sandbox: 'required' } });
      expect(existsSync(path.join(p.dir, 'pwned.txt'))).toBe(false);
      expect(existsSync(file)).toBe(false);
      // The checkout write lands in the sandbox's private /tmp (the test repo lives under /tmp)
      // and vanishes; the write outside /tmp fails the stage: /var is not in the sandbox at all.
      expect(c.status).toBe('failed');
      expect(c.reason).toMatch(/^crash in stage score: /);
      expect(c.reason).toContain(`ENOENT: no such file or directory, open '${file}'`);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('sandbox off (control): nothing stops it — both files are written and the candidate is accepted', async () => {
    const { outside, file } = targets();
    try {
      const { p, c } = await runHostile({ hostile: (dir) => hostile(dir, file) });
      expect(existsSync(path.join(p.dir, 'pwned.txt'))).toBe(true);
      expect(existsSync(file)).toBe(true);
      expect(c.status).toBe('accepted');
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});

describe('a candidate that opens a TCP connection to a loopback server', () => {
  async function withServer(fn: (port: number) => Promise<void>): Promise<number> {
    let connections = 0;
    const server = net.createServer((s) => {
      connections++;
      s.resume();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      await fn((server.address() as net.AddressInfo).port);
      await new Promise((r) => setTimeout(r, 100));
      return connections;
    } finally {
      server.close();
    }
  }
  const hostile = (port: number) => `await new Promise((resolve, reject) => {
  const s = net.connect(${port}, '127.0.0.1', () => s.end('hello from candidate', resolve));
  s.on('error', reject);
});`;

  it('sandbox required: no network, the server sees no connection, the candidate fails', async () => {
    let c!: ReturnType<HostileProblem['candidate']>;
    const connections = await withServer(async (port) => {
      ({ c } = await runHostile({ hostile: hostile(port), config: { sandbox: 'required' } }));
    });
    expect(connections).toBe(0);
    expect(c.status).toBe('failed');
    expect(c.reason).toMatch(/ECONNREFUSED|ENETUNREACH/);
  });

  it('sandbox off (control): the connection is made', async () => {
    let c!: ReturnType<HostileProblem['candidate']>;
    const connections = await withServer(async (port) => {
      ({ c } = await runHostile({ hostile: hostile(port) }));
    });
    expect(connections).toBe(1);
    expect(c.status).toBe('accepted');
  });
});

describe('resource limits', () => {
  it.each(['off', 'required'])('a fork bomb (sandbox %s) is stopped at max_procs, before the timeout, and nothing outlives the stage', async (sandbox) => {
    const marker = `evoloop-forkbomb-${process.pid}-${sandbox}-${Date.now()}`;
    // Bounded at 2000 processes, in case the limit does not hold; bash keeps retrying refused forks.
    const bomb = 'i=0; while [ $i -lt 2000 ]; do ( while :; do sleep 1; done ) & i=$((i+1)); done; wait';
    const started = Date.now();
    const { c } = await runHostile({
      hostile: `child_process.spawnSync('bash', ['-c', ${JSON.stringify(bomb)}, ${JSON.stringify(marker)}], { stdio: 'inherit' });`,
      config: { sandbox, verifier: { stages: [scoreStage({ timeout: '3s', max_procs: 40 })] } },
    });
    expect(c.status).toBe('failed');
    expect(c.reason).toMatch(/^process-limit in stage score: .*hit its process limit \(max_procs: 40\)/);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(processesWith(marker)).toEqual([]);
  });

  it('an allocation without end under memory_mb is recorded as memory-limit', async () => {
    const { p, c } = await runHostile({
      hostile: 'const keep = []; for (;;) keep.push(Buffer.allocUnsafe(64 << 20));',
      config: { verifier: { stages: [scoreStage({ memory_mb: 256 })] } },
    });
    expect(c.status).toBe('failed');
    expect(c.reason).toMatch(/^memory-limit in stage score: .*ran out of memory under its limit of 256 MB/);
    expect(p.measurements(2)[0].failure?.kind).toBe('memory-limit');
  });

  it('printing 1 GB is cut off at the output limit, quickly, and the stored tails stay small', async () => {
    const { p, c } = await runHostile({ hostile: 'const chunk = Buffer.alloc(1 << 20, 120); for (let i = 0; i < 1024; i++) fs.writeSync(1, chunk);' });
    expect(c.status).toBe('failed');
    expect(c.reason).toMatch(/^output-limit in stage score: .*printed more than 268435456 bytes and was killed/);
    const [m] = p.measurements(2);
    expect(m.failure?.kind).toBe('output-limit');
    expect(m.durationMs).toBeLessThan(10_000);
    // max_output_kb (64) bytes kept, plus the "[n bytes omitted]" note.
    expect(m.stdoutTail.length).toBeGreaterThan(60 * 1024);
    expect(m.stdoutTail.length).toBeLessThanOrEqual(64 * 1024 + 100);
    expect(m.stdoutTail).toMatch(/\[\d+ bytes omitted\]/);
    expect(statSync(path.join(p.dir, '.evoloop', 'evoloop.db')).size).toBeLessThan(4 * 1024 * 1024);
  });
});

describe('suspicious-change flags', () => {
  it('a change that only touches a seed is flagged suspicious:seed-only (here it even "improves" the score)', async () => {
    const p = createHostileProblem({ block: 'const SEED = 1; // evoloop: 0..2', hostileWhen: 'SEED !== 1', value: '10 + SEED' });
    made.push(p);
    const { summary } = await p.run(1);
    const c = p.candidate(2);
    expect(c.patch).toMatch(/^-const SEED = 1;.*\n\+const SEED = [02];/m);
    expect(c.flags).toContain('suspicious:seed-only');
    expect(summary.integrity.suspicious).toEqual([2]);
    const show = await p.cliJson('show', '2');
    expect(show.flags).toContain('suspicious:seed-only');
    expect((await p.cli('status')).stdout).toMatch(/flagged for review \(heuristics\): #2/);
  });
});

describe("a candidate that goes after evoloop's own store", () => {
  // The pooled worktree lives in <problem>/.evoloop/worktrees/0/<problem>, so the store is a
  // few folders up. Unconfined, the candidate could rewrite past verdicts.
  const hostile = `
let dir = process.cwd();
let found = 'none';
for (let i = 0; i < 6; i++) {
  dir = path.dirname(dir);
  const db = path.join(dir, '.evoloop', 'evoloop.db');
  if (fs.existsSync(db)) { found = db; break; }
}
console.error('store seen: ' + found);
if (found !== 'none') fs.appendFileSync(found, 'garbage');`;

  it('sandbox required: the store folder is hidden (an empty tmpfs), so the candidate cannot see or touch it', async () => {
    const { p, c } = await runHostile({ hostile, config: { sandbox: 'required' } });
    const score = p.measurements(2).find((m) => m.stage === 'score')!;
    expect(score.stderrTail).toContain('store seen: none');
    expect(c.status).toBe('accepted'); // nothing hostile happened; it simply scored 11
  });

  it('control, sandbox off: the same candidate does find the store (so the test above can fail)', async () => {
    const { p } = await runHostile({ hostile: hostile.replace(/if \(found[^\n]*/, ''), config: { sandbox: 'off' } });
    const score = p.measurements(2).find((m) => m.stage === 'score')!;
    expect(score.stderrTail).toMatch(/store seen: .*\.evoloop\/evoloop\.db/);
  });
});
