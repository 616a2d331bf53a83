// `evoloop run`'s exit code tells a script how the run ended, with real processes:
// 0 finished, 1 a run error (model refused or down past model.max_outage, baseline failing),
// 2 usage, 130 Ctrl-C (test/integration/resume.test.ts), 143 SIGTERM.
import { once } from 'node:events';
import { createServer } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer, type FakeScript } from '../support/fake-llm-server.js';
import { createProblem, waitFor, type Problem } from '../support/problem.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function problem(config: Record<string, unknown> = {}, opts: { sleep?: number; files?: Record<string, string> } = {}): Problem {
  const p = createProblem({ config, ...opts });
  cleanups.push(() => p.cleanup());
  return p;
}

async function server(script: FakeScript): Promise<FakeLlmServer> {
  const s = await startFakeLlmServer(script);
  cleanups.push(() => s.close());
  return s;
}

async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise((resolve) => s.close(resolve));
  return port;
}

const model = (baseUrl: string, extra: Record<string, unknown> = {}) => ({
  model: { provider: 'openai', name: 'scripted', base_url: baseUrl, max_retries: 0, ...extra },
  operators: { 'llm-diff': 1 },
});

it('finished → 0; the help of evoloop and of run lists every exit code', async () => {
  const p = problem({ budget: { candidates: 2 } });
  const r = await p.cli('run', '{dir}');
  expect(r.code, r.stderr).toBe(0);
  for (const help of [await p.cli('--help'), await p.cli('run', '--help')]) {
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Exit codes:\n\s+0 .*\n\s+1 .*model\.max_outage[\s\S]*\n\s+2 .*usage or config[\s\S]*130 .*SIGINT.*143 .*SIGTERM/);
  }
});

it('usage and config mistakes → 2', async () => {
  const p = problem();
  for (const args of [
    ['--more', '2', '--max-candidates', '5'],
    ['--parallel', '0'],
    ['--time', 'soon'],
    ['--model', 'auto'], // no key in the environment
  ]) {
    const r = await p.cli('run', '{dir}', ...args);
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }
});

it('SIGTERM → 143, after finishing the candidate in flight', async () => {
  const p = problem({ budget: { candidates: 20 } }, { sleep: 1 });
  const child = p.spawnCli('run', '{dir}');
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  await waitFor(() => p.log().filter((l) => l[0] === 'end').length >= 1 && p.log().at(-1)![0] === 'start', 30_000, 'a stage in flight');
  process.kill(-child.pid!, 'SIGTERM');
  const [code] = await once(child, 'close');
  expect(code).toBe(143);
  expect(out).toMatch(/run \S+ interrupted: stopped by the user/);
});

it('a refused API key (HTTP 401) → 1, with the reason on stderr', async () => {
  const s = await server({ steps: [], whenExhausted: { status: 401, message: 'invalid api key' } });
  const p = problem(model(s.openaiBaseUrl));
  const r = await p.cli('run', '{dir}');
  expect(r.code, r.stdout).toBe(1);
  expect(r.stderr).toMatch(/^evoloop: the run could not go on: openai:scripted: HTTP 401: .*invalid api key.*run again to resume/m);
});

it('an unreachable model stops the run after model.max_outage → 1; nothing waits longer', async () => {
  const p = problem(model(`http://127.0.0.1:${await deadPort()}/v1`, { max_outage: '1s' }));
  const started = Date.now();
  const r = await p.cli('run', '{dir}');
  expect(Date.now() - started).toBeLessThan(45_000); // a wait of Retry-After (a day) would time the test out
  expect(r.code, r.stdout + r.stderr).toBe(1);
  expect(r.stdout).toMatch(
    /openai:scripted is not answering \(.*cannot reach the server.*\(1 attempt failed\)\): proposals paused, trying again in 1s .*for up to 1s \(model\.max_outage\)/,
  );
  expect(r.stderr).toMatch(/could not go on: openai:scripted did not answer for 1(\.\d)?s \(model\.max_outage 1s\); last error: .*cannot reach the server/);
  expect(r.stdout + r.stderr).not.toMatch(/gave up/);
});

it('a Retry-After of a day is capped: the run stops at model.max_outage → 1', async () => {
  const s = await server({ steps: [], whenExhausted: { status: 503, retryAfter: 86400, message: 'maintenance' } });
  const p = problem(model(s.openaiBaseUrl, { max_outage: '2s' }));
  const started = Date.now();
  const r = await p.cli('run', '{dir}');
  expect(Date.now() - started).toBeLessThan(45_000); // a wait of Retry-After (a day) would time the test out
  expect(r.code, r.stdout + r.stderr).toBe(1);
  expect(r.stdout).toMatch(/trying again in 2s /);
  expect(r.stderr).toMatch(/did not answer for 2(\.\d)?s \(model\.max_outage 2s\); last error: .*HTTP 503/);
});

it('a baseline that fails its own verifier → 1', async () => {
  const p = problem({}, { files: { 'verifier/score.sh': '#!/bin/sh\necho "the program crashed" >&2\nexit 3\n' } });
  const r = await p.cli('run', '{dir}');
  expect(r.code, r.stdout).toBe(1);
  expect(r.stderr).toMatch(/the base commit fails its own verifier/);
});
