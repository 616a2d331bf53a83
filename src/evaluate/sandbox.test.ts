// These tests need bubblewrap and fail (not skip) without it: CI installs it.
import { describe, it, expect, vi, afterAll } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runStage, type StageInvocation, type StageSpec } from './run-stage.js';
import { describeSandboxView, SANDBOX_HOME, sandboxStatus, toolchainFolders } from './sandbox.js';
import { FIXTURES, processesWithEnv, removeTempStageDirs, tempStageDirs } from '../../test/fixtures/verifiers/processes.js';

let serial = 0;
function setup(run: string, inv: Partial<StageInvocation> = {}, spec: Partial<StageSpec> = {}) {
  const dirs = tempStageDirs();
  const runId = `sandbox-test-${process.pid}-${++serial}`;
  return {
    ...dirs,
    runId,
    spec: { name: 'check', kind: 'gate', run, timeoutMs: 10_000, env: [], ...spec } satisfies StageSpec,
    inv: {
      cwd: dirs.worktree,
      worktree: dirs.worktree,
      scratchDir: dirs.scratchDir,
      runId,
      candidateId: 'c1',
      repeat: 0,
      seed: 1,
      sandbox: 'required',
      ...inv,
    } satisfies StageInvocation,
  };
}

describe('sandbox', () => {
  afterAll(removeTempStageDirs);

  it('is available on this machine (install bubblewrap if this fails)', async () => {
    expect(await sandboxStatus()).toEqual({ available: true });
  });

  it('lets the stage write its worktree, metrics and artifacts, but nothing outside', async () => {
    const outsideVar = mkdtempSync('/var/tmp/evoloop-outside-');
    const s = setup(
      `echo a > ../leak; echo b > ${outsideVar}/leak; echo u > /usr/evoloop-leak-$EVOLOOP_RUN; echo r > /evoloop-leak; echo c > inside.txt; ` +
        `echo report > "$EVOLOOP_ARTIFACTS/r.txt"; echo '{"score": 1}' > "$EVOLOOP_METRICS"`,
      {},
      { kind: 'score' },
    );
    try {
      const r = await runStage(s.spec, s.inv);
      expect(r).toMatchObject({ ok: true, metrics: { score: 1 } });
      expect(r.stderrTail).toMatch(/\/usr\/evoloop-leak.*Read-only file system/);
      expect(r.stderrTail).toMatch(/\/evoloop-leak: Read-only file system/);
      expect(r.stderrTail).toMatch(/evoloop-outside-.*Directory nonexistent/); // /var is not in the sandbox at all
      expect(existsSync(join(s.root, 'leak'))).toBe(false); // it landed in the sandbox's private /tmp
      expect(existsSync(join(outsideVar, 'leak'))).toBe(false);
      expect(existsSync(`/usr/evoloop-leak-${s.runId}`)).toBe(false);
    } finally {
      rmSync(outsideVar, { recursive: true });
    }
    expect(readFileSync(join(s.worktree, 'inside.txt'), 'utf8')).toBe('c\n');
    expect(readFileSync(join(s.scratchDir, 'artifacts', 'r.txt'), 'utf8')).toBe('report\n');
  });

  it("shows system folders and PATH toolchains, but not /etc's secrets, the user's home or the rest of the host", async () => {
    // A fake home: a key in .ssh, a tool in bin/ (on PATH), a toolchain with shims beside it.
    const home = mkdtempSync('/var/tmp/evoloop-home-');
    mkdirSync(join(home, '.ssh'));
    writeFileSync(join(home, '.ssh', 'id_ed25519'), 'PRIVATE-KEY-MATERIAL\n');
    for (const dir of ['bin', '.tool/shims', '.tool/versions/1.0']) mkdirSync(join(home, dir), { recursive: true });
    writeFileSync(join(home, 'bin', 'hello'), '#!/bin/sh\necho hello from bin\n', { mode: 0o755 });
    writeFileSync(join(home, '.tool', 'versions', '1.0', 'real'), 'echo real tool\n');
    writeFileSync(join(home, '.tool', 'shims', 'tool'), `#!/bin/sh\n. ${home}/.tool/versions/1.0/real\n`, { mode: 0o755 });
    const saved = { PATH: process.env.PATH, HOME: process.env.HOME };
    process.env.PATH = `${home}/bin:${home}/.tool/shims:${saved.PATH}`;
    process.env.HOME = home;
    const s = setup(
      `hello; tool; node -e 'console.log("node ok")'; head -c 40 /etc/shadow; echo shadow=$?; ls -A /etc/ssh | wc -l; ` +
        `grep -c root /etc/passwd; cat ${home}/.ssh/id_ed25519; ls -A ${home}; echo "HOME=$HOME"; touch "$HOME/x" && echo home-writable; ` +
        `ls /var /work /srv 2>&1 | head -3; grep CapEff /proc/self/status`,
    );
    try {
      const r = await runStage(s.spec, s.inv);
      const shadowHead = readFileSync('/etc/shadow', 'utf8').split('\n')[0];
      expect(r.stdoutTail).toContain('hello from bin\nreal tool\nnode ok\n');
      expect(r.stdoutTail).toMatch(/shadow=1\n0\n[1-9]/); // shadow unreadable, /etc/ssh empty, passwd still there
      expect(r.stdoutTail + r.stderrTail).not.toContain(shadowHead.slice(0, 12));
      expect(r.stdoutTail + r.stderrTail).not.toContain('PRIVATE-KEY-MATERIAL');
      expect(r.stdoutTail).toMatch(/^\.tool\nbin\n/m); // the home shows only what PATH needs
      expect(r.stdoutTail).toContain(`HOME=${SANDBOX_HOME}\nhome-writable\n`);
      expect(existsSync(join(home, 'x'))).toBe(false);
      expect(r.stderrTail).toMatch(/\/var.*No such file/);
      expect(r.stdoutTail).toMatch(/CapEff:\s+0+\n/);
    } finally {
      Object.assign(process.env, saved);
      rmSync(home, { recursive: true });
    }
  });

  it('shows sandbox_expose paths read-only, and nothing of the store inside them', async () => {
    const shared = mkdtempSync('/var/tmp/evoloop-expose-');
    writeFileSync(join(shared, 'model.bin'), 'weights\n');
    mkdirSync(join(shared, '.evoloop'));
    writeFileSync(join(shared, '.evoloop', 'store.db'), 'runs\n');
    // The hidden folder is an empty read-only tmpfs: nothing to read, and no RAM to fill there either.
    const s = setup(
      `cat ${shared}/model.bin; echo x > ${shared}/new || echo refused; ls -A ${shared}/.evoloop | wc -l; echo x > ${shared}/.evoloop/planted || echo refused`,
    );
    try {
      const r = await runStage(s.spec, { ...s.inv, expose: [shared], hidden: [join(shared, '.evoloop')] });
      expect(r.stdoutTail).toBe('weights\nrefused\n0\nrefused\n');
      expect(existsSync(join(shared, 'new'))).toBe(false);
    } finally {
      rmSync(shared, { recursive: true });
    }
  });

  it('shows a sandbox_expose path under /tmp, which the private /tmp would otherwise cover', async () => {
    const modules = mkdtempSync(join(tmpdir(), 'evoloop-expose-'));
    writeFileSync(join(modules, 'index.js'), 'module\n');
    const s = setup(`cat ${modules}/index.js`);
    try {
      const r = await runStage(s.spec, { ...s.inv, expose: [modules] });
      expect(r.stdoutTail).toBe('module\n');
    } finally {
      rmSync(modules, { recursive: true });
    }
  });

  it('drops every capability: even as root the stage cannot unmount the verifier or remount / writable', async () => {
    const s = setup(`umount verify.sh; echo tampered > verify.sh; mount -o remount,bind,rw /usr; touch /usr/evoloop-cap-$EVOLOOP_RUN; cat verify.sh`);
    writeFileSync(join(s.worktree, 'verify.sh'), 'candidate version\n');
    const baseDir = join(s.root, 'base');
    mkdirSync(baseDir);
    writeFileSync(join(baseDir, 'verify.sh'), 'base version\n');
    const r = await runStage(s.spec, { ...s.inv, readOnlyBinds: [{ source: join(baseDir, 'verify.sh'), target: 'verify.sh' }] });
    const leaked = existsSync(`/usr/evoloop-cap-${s.runId}`);
    rmSync(`/usr/evoloop-cap-${s.runId}`, { force: true });
    expect(leaked).toBe(false);
    expect(r.stdoutTail).toBe('base version\n');
    expect(readFileSync(join(s.worktree, 'verify.sh'), 'utf8')).toBe('candidate version\n');
  });

  it('binds a protected folder as a whole: no new file, no __pycache__, no change (EROFS)', async () => {
    const s = setup(
      `cat verify/score.py; for f in verify/helper.py verify/score.py; do echo evil > $f || echo refused $f; done; ` +
        `mkdir verify/__pycache__ || echo refused pycache; python3 -c 'import sys; sys.path.insert(0, "verify"); import score'; ls -A verify`,
    );
    mkdirSync(join(s.worktree, 'verify'));
    writeFileSync(join(s.worktree, 'verify', 'score.py'), 'print("candidate")\n');
    const base = join(s.root, 'base', 'verify');
    mkdirSync(base, { recursive: true });
    writeFileSync(join(base, 'score.py'), 'print("base")\n');
    const r = await runStage(s.spec, { ...s.inv, readOnlyBinds: [{ source: base, target: 'verify' }] });
    expect(r.stdoutTail).toBe('print("base")\nrefused verify/helper.py\nrefused verify/score.py\nrefused pycache\nbase\nscore.py\n');
    expect(r.stderrTail).toMatch(/Read-only file system/);
    expect(readdirSync(join(s.worktree, 'verify'))).toEqual(['score.py']);
    expect(readdirSync(base)).toEqual(['score.py']);
  });

  it('puts the metrics file where the stage cannot list, rename or chmod it, outside worktree and scratch', async () => {
    const s = setup(
      `d=$(dirname "$EVOLOOP_METRICS"); ls "$d" || echo unlisted; chmod 755 "$d" || echo chmod-refused; ` +
        `mv "$EVOLOOP_METRICS" "$d/other.json" || echo rename-refused; touch "$d/guess.json" || echo create-refused; ` +
        `find / \\( -path /proc -o -path /sys -o -path /usr \\) -prune -o -name '*.json' -writable -print 2>/dev/null | wc -l; echo '{"score": 3}' > "$EVOLOOP_METRICS"; echo "$EVOLOOP_METRICS"`,
      {},
      { kind: 'score' },
    );
    const r = await runStage(s.spec, s.inv);
    expect(r).toMatchObject({ ok: true, metrics: { score: 3 } });
    const [, ...lines] = r.stdoutTail.trim().split('\n');
    expect(lines.slice(0, 4)).toEqual(['chmod-refused', 'rename-refused', 'create-refused', '0']);
    expect(r.stdoutTail).toMatch(/^unlisted\n/);
    const path = lines.at(-1)!;
    expect(path.startsWith(s.root)).toBe(false);
    expect(path).toMatch(/\/[0-9a-f]{32}\.json$/);
  });

  it('Python bytecode is never written, sandboxed or not', async () => {
    for (const sandbox of ['required', 'off'] as const) {
      const s = setup(`echo "$PYTHONDONTWRITEBYTECODE"; python3 -c 'import helper'`, { sandbox });
      writeFileSync(join(s.worktree, 'helper.py'), 'X = 1\n');
      const r = await runStage(s.spec, s.inv);
      expect(r.stdoutTail, sandbox).toBe('1\n');
      expect(readdirSync(s.worktree), sandbox).toEqual(['helper.py']);
    }
  });

  it('no process outlives a sandboxed stage to rewrite its metrics file after the exit', async () => {
    const s = setup(
      `echo '{"score": 1}' > "$EVOLOOP_METRICS"; setsid sh -c 'sleep 0.3; echo "{\\"score\\": 1000}" > "$EVOLOOP_METRICS"' &`,
      {},
      { kind: 'score' },
    );
    const r = await runStage(s.spec, s.inv);
    expect(r).toMatchObject({ ok: true, metrics: { score: 1 } });
  });

  it('has no network: a loopback server of the host cannot be reached', async () => {
    let connections = 0;
    const server = createServer((socket) => {
      connections++;
      socket.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const command = `node tcp-connect.mjs ${port}`;
      const open = await runStage(...args(withFixtures(setup(command, { sandbox: 'off' }), 'tcp-connect.mjs')));
      expect(open.stdoutTail.trim()).toBe('connected'); // the probe itself works
      const closed = await runStage(...args(withFixtures(setup(command), 'tcp-connect.mjs')));
      expect(closed.stdoutTail.trim()).toMatch(/^blocked/);
      expect(connections).toBe(1);
    } finally {
      server.close();
    }
  });

  it('lays read-only files over the worktree so the candidate cannot change the verifier', async () => {
    const s = setup('cat verify.sh; echo tampered > verify.sh; echo exit: $?');
    writeFileSync(join(s.worktree, 'verify.sh'), 'candidate version\n');
    const baseDir = join(s.root, 'base');
    mkdirSync(baseDir);
    writeFileSync(join(baseDir, 'verify.sh'), 'base version\n');
    const r = await runStage(s.spec, { ...s.inv, readOnlyBinds: [{ source: join(baseDir, 'verify.sh'), target: 'verify.sh' }] });
    expect(r.stdoutTail).toMatch(/^base version\nexit: [1-9]/);
    expect(readFileSync(join(s.worktree, 'verify.sh'), 'utf8')).toBe('candidate version\n');
    expect(readFileSync(join(baseDir, 'verify.sh'), 'utf8')).toBe('base version\n');
  });

  it('runs in the given cwd inside the worktree', async () => {
    const s = setup('pwd');
    mkdirSync(join(s.worktree, 'sub'));
    const r = await runStage(s.spec, { ...s.inv, cwd: join(s.worktree, 'sub') });
    expect(r.stdoutTail.trim()).toBe(join(s.worktree, 'sub'));
  });

  it('kills a sandboxed stage at its timeout, with everything it started', async () => {
    const s = setup('sleep 60 & sleep 60', {}, { timeoutMs: 800 });
    const started = Date.now();
    const r = await runStage(s.spec, s.inv);
    expect(Date.now() - started).toBeLessThan(2300);
    expect(r.failure?.kind).toBe('timeout');
    expect(processesWithEnv(`EVOLOOP_RUN=${s.runId}`)).toEqual([]);
  });

  it("with sandbox: 'required' and no bwrap, refuses with the fix; 'auto' runs unsandboxed", async () => {
    const savedPath = process.env.PATH;
    const s = setup('echo unsandboxed > /var/tmp/evoloop-auto-$EVOLOOP_RUN');
    vi.resetModules(); // the probe result is cached per module instance
    process.env.PATH = '/nonexistent';
    try {
      const fresh = await import('./run-stage.js');
      const freshSandbox = await import('./sandbox.js');
      expect(await freshSandbox.sandboxStatus()).toEqual({ available: false, reason: 'bwrap is not on PATH' });
      const err = await fresh.runStage(s.spec, s.inv).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(freshSandbox.SandboxUnavailableError);
      expect(String(err)).toMatch(/apt-get install bubblewrap.*sandbox: auto/);
      const r = await fresh.runStage(s.spec, { ...s.inv, sandbox: 'auto' });
      expect(r.ok).toBe(true);
      expect(existsSync(`/var/tmp/evoloop-auto-${s.runId}`)).toBe(true);
    } finally {
      process.env.PATH = savedPath;
      rmSync(`/var/tmp/evoloop-auto-${s.runId}`, { force: true });
    }
  });

  it('applies memory and process limits inside the sandbox too', async () => {
    const s = withFixtures(setup('node allocate.mjs 10 && node allocate.mjs 1000', {}, { memoryMb: 100, maxProcs: 32, kind: 'score' }), 'allocate.mjs');
    const r = await runStage(s.spec, s.inv);
    expect(r.stdoutTail).toContain('{"allocatedMb":10}');
    expect(r.failure?.kind).toBe('memory-limit');
  });
});

describe('toolchainFolders', () => {
  const root = mkdtempSync('/var/tmp/evoloop-path-');
  afterAll(() => rmSync(root, { recursive: true }));
  const dir = (rel: string) => {
    mkdirSync(join(root, rel), { recursive: true });
    return join(root, rel);
  };

  it('shows the parent of a bin or shims entry, the entry itself otherwise, and skips system folders and relative entries', () => {
    const path = [dir('pyenv/shims'), dir('cargo/bin'), dir('tools/node-20'), '/usr/local/bin', '/bin', '.', '', join(root, 'missing/bin')].join(':');
    expect(toolchainFolders(path)).toEqual([join(root, 'pyenv'), join(root, 'cargo'), join(root, 'tools/node-20')]);
  });

  it('never shows a home folder, /, or a folder that holds the store or the worktree: only the entry then', () => {
    const saved = process.env.HOME;
    process.env.HOME = dir('home');
    try {
      const path = [dir('home/bin'), dir('repo/bin'), dir('repo/tools/shims')].join(':');
      expect(toolchainFolders(path, [join(root, 'repo/.evoloop')])).toEqual([join(root, 'home/bin'), join(root, 'repo/bin'), join(root, 'repo/tools')]);
    } finally {
      process.env.HOME = saved;
    }
  });

  it('the run-start line names what is shown', () => {
    const line = describeSandboxView({ path: `${dir('pyenv/shims')}:/usr/bin`, expose: ['/opt'] });
    expect(line).toMatch(/^sandbox: bubblewrap — stages see their worktree \(writable\), \/usr .*\/etc .*read-only \(\/etc without its secrets\)/);
    expect(line).toContain(`toolchains ${join(root, 'pyenv')} /opt read-only`);
    expect(line).toMatch(/your home, the store and the rest of the host are hidden/);
  });
});

const args = (s: { spec: StageSpec; inv: StageInvocation }) => [s.spec, s.inv] as const;

/**
 * Copies fixture scripts into the stage's worktree, as a verifier's own files would be:
 * the sandbox hides the host's /tmp, where a checkout of this project may live.
 */
function withFixtures<T extends { worktree: string }>(s: T, ...names: string[]): T {
  for (const name of names) copyFileSync(`${FIXTURES}${name}`, join(s.worktree, name));
  return s;
}
