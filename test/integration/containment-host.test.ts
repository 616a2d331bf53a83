// Hostile candidates against the host outside the worktree (issue 8, item 9): the model keys
// in evoloop's own /proc/<pid>/environ, and git's configuration in the user's repository
// (core.fsmonitor runs a program at every `git status`). Candidates come from the scripted
// model server; the keys test drives the real CLI with real keys in its environment.
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer } from '../support/fake-llm-server.js';
import { createHostileProblem, MODE_ON_REPLY, type HostileProblem } from '../support/hostile-problem.js';
import { CLI } from '../support/problem.js';

const made: HostileProblem[] = [];
const servers: FakeLlmServer[] = [];
afterAll(async () => {
  made.forEach((p) => p.cleanup());
  for (const s of servers) await s.close();
});

describe("a candidate that reads the model keys from evoloop's own environment (sandbox off)", () => {
  // Dumps the environment of every evoloop process it can find into a file outside the repository.
  const hostile = `
let dump = '';
for (const pid of fs.readdirSync('/proc').filter((e) => /^\\d+$/.test(e))) {
  try {
    const cmd = fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8');
    if (cmd.includes('evoloop.js')) dump += pid + ': ' + fs.readFileSync('/proc/' + pid + '/environ', 'utf8').split('\\0').join('\\n') + '\\n';
  } catch {}
}
fs.appendFileSync('{tmp}/environ-dump.txt', dump);`;

  const keys = {
    MYLLM_CRED: 'sk-model-key-from-a-neutral-name-0001',
    OPENAI_API_KEY: 'sk-openai-key-0002-abcdef',
    GITHUB_TOKEN: 'ghp_token0003abcdefghijklmnop',
  };
  async function runWithKeys(extraArgs: string[], hostileWhen?: string) {
    const server = await startFakeLlmServer({ steps: [{ reply: MODE_ON_REPLY }], whenExhausted: { reply: MODE_ON_REPLY } });
    servers.push(server);
    const p = createHostileProblem({
      via: 'model',
      hostile,
      hostileWhen,
      config: { model: { provider: 'openai', name: 'scripted', base_url: server.openaiBaseUrl, api_key_env: 'MYLLM_CRED', max_retries: 0 } },
    });
    made.push(p);
    const r = await new Promise<{ code: number | null; stderr: string }>((done) => {
      const child = spawn(process.execPath, [CLI, 'run', p.dir, '--max-candidates', '1', '--json', ...extraArgs], {
        cwd: p.dir,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, GIT_CONFIG_NOSYSTEM: '1', ...keys },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => done({ code, stderr }));
    });
    return { p, r, server };
  }

  it('finds the evoloop process but no key in it: they were scrubbed once the model clients held them', async () => {
    const { p, r, server } = await runWithKeys([]);
    expect(r.code, r.stderr).toBe(0);
    expect(server.requests.length).toBeGreaterThan(0);
    expect(server.requests[0].headers.authorization).toBe(`Bearer ${keys.MYLLM_CRED}`); // the key did work for the model
    const dump = readFileSync(path.join(p.tmp, 'environ-dump.txt'), 'utf8');
    expect(dump).toMatch(/^\d+: .*PATH=/ms); // it did read the evoloop process's environment
    for (const value of Object.values(keys)) expect(dump).not.toContain(value);
  });

  it('run --audit: the probes, which run the program too, find no key either, and the run still gets its model key back', async () => {
    // Hostile in every variant, so the dump is taken while the audit's probes run as well as during the run.
    const { p, r, server } = await runWithKeys(['--audit', 'noop-exit', '--force'], 'true');
    expect(r.code, r.stderr).toBe(0);
    expect(server.requests[0].headers.authorization).toBe(`Bearer ${keys.MYLLM_CRED}`);
    const dump = readFileSync(path.join(p.tmp, 'environ-dump.txt'), 'utf8');
    expect(dump.match(/^\d+: /gm)!.length).toBeGreaterThan(2); // read during the audit's baseline and probe, and during the run
    for (const value of Object.values(keys)) expect(dump).not.toContain(value);
  });
});

describe("a candidate that plants core.fsmonitor in the user's .git/config", () => {
  // The worktree pool lives inside the user's repository: walk up to its .git.
  const hostile = `
let dir = process.cwd();
while (dir !== '/' && !fs.existsSync(path.join(dir, '.git', 'config'))) dir = path.dirname(dir);
try {
  fs.appendFileSync(path.join(dir, '.git', 'config'), '[core]\\n\\tfsmonitor = "touch {tmp}/fsmonitor-ran; false"\\n');
  fs.writeFileSync(path.join(dir, '.git', 'hooks', 'post-checkout'), '#!/bin/sh\\ntouch {tmp}/hook-ran\\n', { mode: 0o755 });
} catch (e) { console.error('plant failed: ' + e.message); }`;

  it('sandbox off: it is put back at once, the candidate is tampered, and git never runs the program', async () => {
    const p = createHostileProblem({ via: 'model', hostile, value: '10' });
    made.push(p);
    const before = readFileSync(path.join(p.repo, '.git', 'config'), 'utf8');
    const { summary } = await p.run(2);
    const c = p.candidate(2);
    expect(c.status).toBe('tampered');
    expect(c.reason).toMatch(/changed git's configuration outside the worktree .*\.git\/config \(rewritten; restored\).*post-checkout \(added; restored\)/);
    expect(summary.accepted).toBe(0);
    expect(readFileSync(path.join(p.repo, '.git', 'config'), 'utf8')).toBe(before);
    expect(existsSync(path.join(p.repo, '.git', 'hooks', 'post-checkout'))).toBe(false);
    p.git('status'); // what the user runs next
    expect(existsSync(path.join(p.tmp, 'fsmonitor-ran'))).toBe(false);
    expect(existsSync(path.join(p.tmp, 'hook-ran'))).toBe(false);
  });

  it('sandbox off: a rewrite that keeps the size and puts the mtime back (the guard trusts a settled stamp) is caught all the same', async () => {
    // The guard reads a file only when its stat stamp moved; this candidate keeps size, inode and mtime, leaving only ctime.
    const inPlace = `
let dir = process.cwd();
while (dir !== '/' && !fs.existsSync(path.join(dir, '.git', 'config'))) dir = path.dirname(dir);
const file = path.join(dir, '.git', 'config');
const st = fs.statSync(file);
const planted = '[core]\\n\\tfsmonitor = "touch {tmp}/fsmonitor-ran; false"\\n#'.padEnd(st.size - 1, '#') + '\\n';
fs.writeFileSync(file, planted);
fs.utimesSync(file, st.atimeMs / 1000, st.mtimeMs / 1000); // as close as Node can set it
if (fs.statSync(file).size === st.size && fs.statSync(file).ino === st.ino) fs.writeFileSync('{tmp}/kept-size-and-inode', '');`;
    const p = createHostileProblem({ via: 'model', hostile: inPlace, value: '10' });
    made.push(p);
    const config = path.join(p.repo, '.git', 'config');
    appendFileSync(config, `# ${'x'.repeat(200)}\n`); // room for the planted line within the same size
    const before = readFileSync(config, 'utf8');
    await new Promise((r) => setTimeout(r, 2100)); // older than the guard's 2 s: its stamp is trusted from the start
    const { summary } = await p.run(2);
    const c = p.candidate(2);
    expect(c.status).toBe('tampered');
    expect(c.reason).toMatch(/changed git's configuration outside the worktree .*\.git\/config \(rewritten; restored\)/);
    expect(summary.accepted).toBe(0);
    expect(readFileSync(config, 'utf8')).toBe(before);
    expect(existsSync(path.join(p.tmp, 'kept-size-and-inode'))).toBe(true); // the attack ran as written
    p.git('status');
    expect(existsSync(path.join(p.tmp, 'fsmonitor-ran'))).toBe(false);
  });

  it("sandbox required: the repository's .git is not even visible to the stage", async () => {
    const p = createHostileProblem({ via: 'model', hostile, value: '10', config: { sandbox: 'required' } });
    made.push(p);
    const before = readFileSync(path.join(p.repo, '.git', 'config'), 'utf8');
    const { summary } = await p.run(1);
    expect(p.candidate(2).status).toBe('rejected');
    expect(summary.accepted).toBe(0);
    expect(readFileSync(path.join(p.repo, '.git', 'config'), 'utf8')).toBe(before);
  });
});

describe('a candidate that kills the process that started its stage (sandbox off)', () => {
  // The stage is a process group; its leader's parent is whatever started it. Started from
  // evoloop itself, this would kill the run.
  const hostile = `
const field = (pid, i) => { const s = fs.readFileSync('/proc/' + pid + '/stat', 'utf8'); return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[i]); };
const starter = field(field('self', 2), 1);
fs.appendFileSync('{tmp}/starters', starter + '\\n');
process.kill(starter, 'SIGKILL');
await new Promise((r) => setTimeout(r, 300));`;

  it('kills only the stage launcher: each such candidate fails on its own, none is accepted, and the run goes on', async () => {
    const p = createHostileProblem({ hostile });
    made.push(p);
    const { summary } = await p.run(3);
    const starters = readFileSync(path.join(p.tmp, 'starters'), 'utf8').trim().split('\n').map(Number);
    expect(starters.length).toBeGreaterThanOrEqual(2);
    expect(starters).not.toContain(process.pid);
    // A new launcher for every stage after the one its stage killed.
    expect(new Set(starters).size).toBe(starters.length);
    const hostileIds = [2, 3, 4].filter((id) => p.measurements(id).length > 0);
    expect(hostileIds.length).toBe(starters.length);
    for (const id of hostileIds) {
      const c = p.candidate(id);
      expect(c.status).toBe('failed');
      expect(c.reason).toMatch(/ended without a result.*stage launcher \(pid \d+\) exited \(SIGKILL\)/);
    }
    expect(summary.accepted).toBe(0);
  });
});
