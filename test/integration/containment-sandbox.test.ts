// What a sandboxed stage can see and what it can make evoloop believe, end to end: a run
// whose candidate 2 was proposed by the scripted model (via: 'model') and is hostile, under
// `sandbox: required`. It reads host secrets, hunts for the metrics file, gets its output
// echoed as a report, plants files in the protected folder, and tries to shed the sandbox's
// mounts with root's capabilities. Each is contained, recorded, and never accepted; where it
// matters a sandbox-off control shows the attack really works unconfined.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createHostileProblem, type HostileOptions, type HostileProblem } from '../support/hostile-problem.js';

const made: HostileProblem[] = [];
const dirs: string[] = [];
afterAll(() => {
  made.forEach((p) => p.cleanup());
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

/** A run of two proposals (the model proposes both; candidate 2 is the hostile one). */
async function runModel(opts: HostileOptions) {
  const p = createHostileProblem({ via: 'model', ...opts });
  made.push(p);
  const { summary, requests } = await p.run(2);
  expect(p.candidate(2).description).toBe('switch the mode on');
  return { p, summary, prompts: requests.map((r) => r.prompt) };
}

const score = (extra: Record<string, unknown> = {}) => ({ name: 'score', kind: 'score', run: 'node verifier/score.mjs', timeout: '30s', ...extra });

// ---- (a) host secrets ---------------------------------------------------------------------

describe('a candidate that prints host secrets to stderr and fails', () => {
  const SHADOW_LINE = readFileSync('/etc/shadow', 'utf8').split('\n')[0];
  const KEY = 'FAKE-SSH-PRIVATE-KEY-0123456789abcdef';

  /** A fake home (its .ssh holds a key; its bin/ is on PATH), set as evoloop's HOME during the run. */
  async function runWithHome(sandbox: 'required' | 'off') {
    const home = mkdtempSync('/var/tmp/evoloop-home-');
    dirs.push(home);
    mkdirSync(path.join(home, '.ssh'));
    writeFileSync(path.join(home, '.ssh', 'id_ed25519'), `-----BEGIN OPENSSH PRIVATE KEY-----\n${KEY}\n`);
    mkdirSync(path.join(home, 'bin'));
    const hostile = `
const out = [];
for (const f of ['/etc/shadow', ${JSON.stringify(`${home}/.ssh/id_ed25519`)}]) {
  try { out.push(f + ': ' + fs.readFileSync(f, 'utf8')); } catch (e) { out.push('unreadable ' + f + ': ' + e.code); }
}
fs.writeSync(2, out.join('\\n') + '\\n');
process.exit(1);`;
    const saved = { HOME: process.env.HOME, PATH: process.env.PATH };
    process.env.HOME = home;
    process.env.PATH = `${home}/bin:${saved.PATH}`;
    try {
      return await runModel({ hostile, config: { sandbox } });
    } finally {
      Object.assign(process.env, saved);
    }
  }

  it('sandbox required: /etc/shadow and the home are not visible; neither the store nor any prompt holds them', async () => {
    const { p, summary, prompts } = await runWithHome('required');
    expect(p.candidate(2).status).toBe('failed');
    const stderr = p.measurements(2).find((m) => m.stage === 'score')!.stderrTail;
    expect(stderr).toMatch(/unreadable \/etc\/shadow: EACCES/);
    expect(stderr).toMatch(/unreadable \/var\/tmp\/evoloop-home-[^/]+\/\.ssh\/id_ed25519: ENOENT/);
    expect(stderr).not.toContain(SHADOW_LINE);
    expect(stderr).not.toContain(KEY);
    expect(prompts).toHaveLength(2);
    for (const prompt of prompts) {
      expect(prompt).not.toContain(SHADOW_LINE);
      expect(prompt).not.toContain(KEY);
    }
    expect(prompts[1]).toContain('unreadable /etc/shadow'); // the failure did reach the next prompt
    expect(summary.accepted).toBe(0);
  });

  it('control, sandbox off: the same candidate does print them', async () => {
    const { p } = await runWithHome('off');
    const stderr = p.measurements(2).find((m) => m.stage === 'score')!.stderrTail;
    expect(stderr).toContain(SHADOW_LINE);
    expect(stderr).toContain(KEY);
  });
});

// ---- (b) hunting the metrics file -----------------------------------------------------------

/** The README's verifier pattern: the program runs as a child with EVOLOOP_* removed from its environment. */
const childVerifier = (report: 'stdout' | 'file') => `// Runs the program as a child with a clean environment, then reports its value.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('EVOLOOP_')));
const out = execFileSync(process.execPath, ['verifier/run-program.mjs'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
const score = Number(out.trim().split('\\n').at(-1));
${report === 'file' ? 'fs.writeFileSync(process.env.EVOLOOP_METRICS, JSON.stringify({ score }));' : 'console.log(JSON.stringify({ score }));'}
`;
const RUN_PROGRAM = `import path from 'node:path';
import { pathToFileURL } from 'node:url';
const program = await import(pathToFileURL(path.resolve('program.mjs')).href);
console.log(program.value());
`;

/** Finds every EVOLOOP_METRICS in /proc/*\/environ and every *.json it can reach, and writes a winning score to each. */
const HUNT = `
const targets = new Set();
for (const pid of fs.readdirSync('/proc').filter((n) => /^\\d+$/.test(n))) {
  try {
    for (const v of fs.readFileSync('/proc/' + pid + '/environ', 'utf8').split('\\0')) if (v.startsWith('EVOLOOP_METRICS=')) targets.add(v.slice(16));
  } catch {}
}
const fromEnviron = targets.size;
const walk = (dir, depth) => {
  if (depth > 8 || ['/proc', '/sys', '/usr', '/dev'].includes(dir)) return;
  let entries;
  try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, depth + 1);
    else if (e.name.endsWith('.json')) targets.add(p);
  }
};
for (let d = process.cwd(); ; d = path.dirname(d)) { walk(d, 0); if (d === '/') break; }
walk('/tmp', 0);
let written = 0;
for (const t of targets) { try { fs.writeFileSync(t, JSON.stringify({ score: 1000 })); written++; } catch {} }
fs.writeSync(2, 'hunt: ' + fromEnviron + ' from /proc environ, wrote ' + written + ' of ' + targets.size + '\\n');`;

describe('a candidate run as a child of the verifier that hunts the metrics file', () => {
  const files = (report: 'stdout' | 'file') => ({ 'verifier/score.mjs': childVerifier(report), 'verifier/run-program.mjs': RUN_PROGRAM });

  it('verifier reports on stdout (metrics: auto): the forged file disagrees with it, so the stage is ambiguous-metrics', async () => {
    const { p, summary } = await runModel({ hostile: HUNT, value: '10', config: { sandbox: 'required' }, files: files('stdout') });
    const m = p.measurements(2).find((x) => x.stage === 'score')!;
    // It found the path through its parent's environment (the limit evoloop cannot close) and wrote it.
    expect(m.stderrTail).toMatch(/hunt: [1-9]\d* from \/proc environ, wrote [1-9]/);
    expect(m.failure?.kind).toBe('ambiguous-metrics');
    expect(m.failure?.message).toMatch(/"score".*1000 \(the \$EVOLOOP_METRICS file\) and 10 \(JSON line 1 of stdout\).*metrics: file/);
    const c = p.candidate(2);
    expect(c.status).toBe('failed');
    expect(c.reason).toMatch(/^ambiguous-metrics in stage score/);
    expect(c.score).not.toBe(1000);
    expect(summary.accepted).toBe(0);
  });

  it('verifier writes $EVOLOOP_METRICS after the child (metrics: file): its own report stands, 10, not accepted', async () => {
    const { p, summary } = await runModel({
      hostile: HUNT,
      value: '10',
      config: { sandbox: 'required', verifier: { stages: [score({ metrics: 'file' })] } },
      files: files('file'),
    });
    const m = p.measurements(2).find((x) => x.stage === 'score')!;
    expect(m.stderrTail).toMatch(/wrote [1-9]/);
    expect(m).toMatchObject({ ok: true, metrics: { score: 10 } });
    expect(p.candidate(2).status).not.toBe('accepted');
    expect(summary.accepted).toBe(0);
  });
});

// ---- (c) echoed output --------------------------------------------------------------------

describe('a verifier that echoes the program output before its own METRIC line', () => {
  const ECHO_VERIFIER = `// Prints what the program printed, then its own measurement.
import { execFileSync } from 'node:child_process';
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('EVOLOOP_')));
process.stdout.write(execFileSync(process.execPath, ['verifier/run-program.mjs'], { env, encoding: 'utf8' }));
console.log('METRIC score=10');
`;
  const files = { 'verifier/score.mjs': ECHO_VERIFIER, 'verifier/run-program.mjs': RUN_PROGRAM };
  const hostile = `console.log(JSON.stringify({ score: 1000 }));`;

  it('metrics: auto: the echoed JSON line and the METRIC line disagree, so the stage is ambiguous-metrics (it used to score 1000)', async () => {
    const { p, summary } = await runModel({ hostile, value: '10', config: { sandbox: 'required' }, files });
    const m = p.measurements(2).find((x) => x.stage === 'score')!;
    expect(m.stdoutTail).toContain('{"score":1000}');
    expect(m.failure?.kind).toBe('ambiguous-metrics');
    expect(m.failure?.message).toMatch(/"score" is reported twice with different values: 1000 .* and 10 .*metrics: file/);
    expect(p.candidate(2).status).toBe('failed');
    expect(summary.accepted).toBe(0);
  });

  it('metrics: lines: the JSON line is not a report at all; the verifier says 10', async () => {
    const { p, summary } = await runModel({
      hostile,
      value: '10',
      config: { sandbox: 'required', verifier: { stages: [score({ metrics: 'lines' })] } },
      files,
    });
    expect(p.measurements(2).find((x) => x.stage === 'score')).toMatchObject({ ok: true, metrics: { score: 10 } });
    expect(p.candidate(2).score).toBe(10);
    expect(summary.accepted).toBe(0);
  });
});

// ---- (d) the protected folder and bytecode ---------------------------------------------------

describe('a candidate that plants code in the protected folder', () => {
  it('sandbox required: a new module and a __pycache__ are impossible (EROFS), never accepted', async () => {
    const hostile = `
for (const f of [() => fs.writeFileSync('verifier/helper.py', 'SCORE = 1000\\n'), () => fs.mkdirSync('verifier/__pycache__')]) {
  try { f(); fs.writeSync(2, 'planted\\n'); } catch (e) { fs.writeSync(2, 'refused: ' + e.code + '\\n'); }
}
process.exit(fs.existsSync('verifier/helper.py') ? 0 : 3);`;
    const { p, summary } = await runModel({ hostile, config: { sandbox: 'required' } });
    const m = p.measurements(2).find((x) => x.stage === 'score')!;
    expect(m.stderrTail).toMatch(/^refused: EROFS\nrefused: EROFS$/m);
    expect(p.candidate(2).status).toBe('failed');
    expect(p.candidate(2).reason).toMatch(/exited with code 3/);
    expect(summary.accepted).toBe(0);
  });

  const PY_VERIFIER = {
    'verifier/score.py':
      'import os, sys\nsys.path.insert(0, "verifier")\nimport helper\nprint("METRIC score=10")\nprint("FEEDBACK bytecode=" + os.environ.get("PYTHONDONTWRITEBYTECODE", "unset") + " pycache=" + str(os.path.isdir("verifier/__pycache__")))\n',
    'verifier/helper.py': 'X = 1\n',
  };

  it.each(['required', 'off'] as const)('PYTHONDONTWRITEBYTECODE=1 reaches every stage (sandbox %s): no __pycache__ is written', async (sandbox) => {
    const { p } = await runModel({ hostile: '', config: { sandbox, verifier: { stages: [score({ run: 'python3 verifier/score.py' })] } }, files: PY_VERIFIER });
    // Checked by the stage itself, after its import: the run's worktrees are removed when it ends.
    for (const id of [1, 2]) expect(p.measurements(id).find((x) => x.stage === 'score')).toMatchObject({ ok: true, feedback: 'bytecode=1 pycache=False' });
  });
});

// ---- root's capabilities ---------------------------------------------------------------------

describe('a candidate that uses root to shed the sandbox mounts', () => {
  it('sandbox required: no capabilities, so it cannot unmount /tmp or remount / writable and write on the host', async () => {
    // A host path outside every writable bind (the old sandbox showed /var read-only).
    const marker = `/var/tmp/evoloop-escape-${process.pid}-${Date.now()}`;
    dirs.push(marker);
    const hostile = `
const marker = ${JSON.stringify(marker)};
for (const cmd of ['umount /tmp', 'mount -o remount,bind,rw /', 'umount ' + path.resolve('verifier')]) {
  try { child_process.execSync(cmd, { stdio: 'pipe' }); fs.writeSync(2, 'ok: ' + cmd + '\\n'); } catch (e) { fs.writeSync(2, 'refused: ' + cmd + '\\n'); }
}
try { fs.writeFileSync(marker, 'escaped'); } catch {}
try { fs.writeFileSync('verifier/score.mjs', 'console.log(JSON.stringify({ score: 1000 }));'); fs.writeSync(2, 'wrote the verifier\\n'); } catch (e) { fs.writeSync(2, 'refused: verifier ' + e.code + '\\n'); }`;
    const { p, summary } = await runModel({ hostile, value: '10', config: { sandbox: 'required' } });
    const m = p.measurements(2).find((x) => x.stage === 'score')!;
    expect(existsSync(marker)).toBe(false);
    expect(m.stderrTail).toMatch(/refused: umount \/tmp\nrefused: mount -o remount,bind,rw \/\nrefused: umount /);
    expect(m.stderrTail).toMatch(/^refused: verifier EROFS$/m);
    expect(p.candidate(2).score).not.toBe(1000);
    expect(summary.accepted).toBe(0);
  });
});
