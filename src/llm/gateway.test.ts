// The gateway's outage policy against the loopback model server: every wait is capped
// (Retry-After included), and a model down for model.max_outage stops the run as an error.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeScript } from '../../test/support/fake-llm-server.js';
import { StopProposing } from '../core/errors.js';
import { Store } from '../store/store.js';
import { CallLog, ModelGateway, type PauseOptions } from './gateway.js';
import { createModelClient } from './index.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function gateway(script: FakeScript, maxOutageMs: number, pause: PauseOptions) {
  const server = await startFakeLlmServer(script);
  cleanups.push(() => server.close());
  const dir = mkdtempSync(path.join(tmpdir(), 'evoloop-gateway-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const store = new Store(path.join(dir, 'evoloop.db'));
  cleanups.push(() => store.close());
  store.createRun({ id: 'r1', problemDir: dir, repoRoot: dir, baseCommit: 'x', configJson: '{}', configHash: 'h', status: 'running', ownerPid: null });
  const client = createModelClient({ provider: 'openai', name: 'm', baseUrl: server.openaiBaseUrl, timeoutMs: 5000, maxRetries: 0, maxOutageMs }, {}, {});
  const notices: string[] = [];
  const g = new ModelGateway({ store, runId: 'r1', clients: [client], notice: (m) => notices.push(m), pause });
  const never = new AbortController().signal;
  const call = () => g.complete(client, { system: '', prompt: 'p', operator: 'llm-diff' }, new CallLog(store), { signal: never, stopping: never });
  return { server, notices, call };
}

it('a Retry-After of a day waits no longer than the cap, then goes on', async () => {
  const day = { status: 503, retryAfter: 86400, message: 'come back tomorrow' };
  const { server, notices, call } = await gateway({ steps: [day, day, { reply: 'ok' }] }, 60_000, { baseMs: 10, maxMs: 100 });
  const started = Date.now();
  expect((await call()).text).toBe('ok');
  expect(Date.now() - started).toBeLessThan(20_000); // a day-long wait would hang here; the notice says the capped wait
  expect(server.requests).toHaveLength(3);
  expect(notices[0]).toMatch(
    /^openai:m is not answering \(openai:m: server error \(HTTP 503\).*\(1 attempt failed\)\): proposals paused, trying again in 0\.1s .*each at most 0\.1s.*for up to 60s \(model\.max_outage\)/,
  );
  expect(notices.at(-1)).toBe('openai:m answers again: proposals resumed');
});

it('a model down for max_outage stops with a run error that says how long and why; no wait outlasts it', async () => {
  const { server, notices, call } = await gateway({ steps: [], whenExhausted: { status: 503, retryAfter: 86400 } }, 1500, { baseMs: 50, maxMs: 150 });
  const started = Date.now();
  const err = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  const took = Date.now() - started;
  expect(err).toBeInstanceOf(StopProposing);
  expect(err).toMatchObject({ status: 'interrupted', error: true });
  expect((err as StopProposing).reason).toMatch(
    /^openai:m did not answer for \d+(\.\d)?s \(model\.max_outage 1\.5s\); last error: .*HTTP 503.*run again to resume/,
  );
  expect(took).toBeGreaterThanOrEqual(1500);
  expect(took).toBeLessThan(20_000);
  expect(server.requests.length).toBeGreaterThanOrEqual(2);
  expect(notices.some((m) => /still not answering after \d+ tries .*stopping at 1\.5s \(model\.max_outage\)/.test(m))).toBe(true);
  // "failed", never "gave up", while more tries follow
  expect(notices.join('\n')).not.toMatch(/gave up/);
});
