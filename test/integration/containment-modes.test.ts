// The containment modes end to end through the CLI: `sandbox: auto` on a machine without
// bubblewrap (a PATH on which every tool but bwrap exists) says loudly, in one line, what is
// not contained and still detects tampering; `sandbox: required` there refuses to start and
// changes nothing; `sandbox: auto` with bubblewrap present sandboxes.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createHostileProblem, type HostileProblem } from '../support/hostile-problem.js';
import { CLI } from '../support/problem.js';

const made: HostileProblem[] = [];
const dirs: string[] = [];
afterAll(() => {
  made.forEach((p) => p.cleanup());
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

/** A folder of links to every program on PATH except bwrap: this machine as if bubblewrap were not installed. */
function pathWithoutBwrap(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'evoloop-nobwrap-'));
  dirs.push(dir);
  for (const from of (process.env.PATH ?? '').split(':').filter(Boolean)) {
    if (!existsSync(from)) continue;
    for (const name of readdirSync(from)) {
      if (name === 'bwrap' || existsSync(path.join(dir, name))) continue;
      try {
        symlinkSync(path.join(from, name), path.join(dir, name));
      } catch {
        // a name seen twice
      }
    }
  }
  return dir;
}

function cli(p: HostileProblem, pathVar: string, ...args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: p.dir,
      env: { PATH: pathVar, HOME: process.env.HOME, GIT_CONFIG_NOSYSTEM: '1', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => done({ code, out }));
  });
}

const EVIL = 'console.log(JSON.stringify({ score: 1000 }));\n';
const hostile = `fs.writeFileSync('verifier/score.mjs', ${JSON.stringify(EVIL)});`;

describe('sandbox modes on a machine without bubblewrap', () => {
  it('auto: one loud line says what is not contained; tampering is still detected and never accepted', async () => {
    const p = createHostileProblem({ hostile, config: { sandbox: 'auto' } });
    made.push(p);
    const r = await cli(p, pathWithoutBwrap(), 'run', '.', '--max-candidates', '1');
    expect(r.code, r.out).toBe(0);
    const lines = r.out.split('\n').filter((l) => /^.*sandbox: none/.test(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/NOT contained/);
    expect(p.candidate(2).status).toBe('tampered');
  });

  it('required: refuses to start with the fix, and writes nothing', async () => {
    const p = createHostileProblem({ hostile, config: { sandbox: 'required' } });
    made.push(p);
    const r = await cli(p, pathWithoutBwrap(), 'run', '.', '--max-candidates', '1');
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/sandbox: required, but bubblewrap cannot be used \(bwrap is not on PATH\)\. Fix: apt-get install bubblewrap/);
    expect(existsSync(path.join(p.dir, '.evoloop', 'store.db'))).toBe(false);
  });
});

describe('sandbox: auto with bubblewrap installed', () => {
  it('sandboxes: the verifier is bound read-only from the base, so the rewrite fails', async () => {
    const p = createHostileProblem({ hostile, config: { sandbox: 'auto' } });
    made.push(p);
    const r = await cli(p, process.env.PATH!, 'run', '.', '--max-candidates', '1');
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/sandbox: bubblewrap/);
    const c = p.candidate(2);
    expect(c.status).toBe('failed');
    expect(c.reason).toMatch(/EROFS/);
  });
});
