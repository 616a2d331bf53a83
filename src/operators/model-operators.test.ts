// The model operators and the gateway against the loopback model server, with a real store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer, type FakeStep } from '../../test/support/fake-llm-server.js';
import { validateConfig } from '../config/load.js';
import { createModelClient, type ModelSpec } from '../llm/index.js';
import { Store } from '../store/store.js';
import { llmDiff } from './llm-diff/llm-diff.js';
import { llmRewrite } from './llm-rewrite/llm-rewrite.js';
import { CallLog, ModelGateway } from '../llm/gateway.js';
import { StopProposing, type OperatorContext } from './operator.js';

const PROGRAM = 'const N = 3;\n// EVOLVE-BLOCK-START\nfunction f(x) {\n  return x * N;\n}\n// EVOLVE-BLOCK-END\nexport { f };\n';
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(steps: FakeStep[], spec: Partial<ModelSpec> = {}, budgetUsd?: number) {
  const server: FakeLlmServer = await startFakeLlmServer(steps);
  cleanups.push(() => server.close());
  const dir = mkdtempSync(path.join(tmpdir(), 'evoloop-ops-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const store = new Store(path.join(dir, 'evoloop.db'));
  cleanups.push(() => store.close());
  store.createRun({ id: 'r1', problemDir: dir, repoRoot: dir, baseCommit: 'x', configJson: '{}', configHash: 'h', status: 'running', ownerPid: null });
  const client = createModelClient(
    { provider: 'openai', name: 'm', baseUrl: server.openaiBaseUrl, timeoutMs: 5000, maxRetries: 0, ...spec },
    {},
    { baseDelayMs: 1 },
  );
  const notices: string[] = [];
  const gateway = new ModelGateway({ store, runId: 'r1', clients: [client], budgetUsd, notice: (m) => notices.push(m), pause: { baseMs: 10, maxMs: 20 } });
  const config = validateConfig({
    edit: ['f.js'],
    verifier: { stages: [{ name: 's', kind: 'score', run: 'x' }] },
    objective: { metric: 'y', goal: 'maximize' },
  });
  const problem = { store, runId: 'r1', config, problemDir: dir, baseFiles: () => ['f.js'] };
  return { server, store, client, gateway, notices, problem };
}

function ctx(): OperatorContext {
  const never = new AbortController().signal;
  return {
    runId: 'r1',
    parents: [{ id: 1, score: 1, metrics: { y: 1 }, files: {} }],
    inspirations: [],
    island: null,
    readFile: async (p) => (p === 'f.js' ? PROGRAM : undefined),
    editableFiles: ['f.js'],
    history: [],
    random: () => 0.5,
    signal: never,
    stopping: never,
  };
}

const calls = (store: Store) =>
  [...store.queries.exportRows('r1', 'llm_calls')].map(({ candidate_id, error, usd }) => ({ candidate_id, error, usd })) as {
    candidate_id: number | null;
    error: string | null;
    usd: number;
  }[];

describe('llm-rewrite and llm-diff', () => {
  it('llm-rewrite splices a block-only reply between the markers; the call is linked on demand', async () => {
    const { store, problem, gateway } = await setup([
      { reply: 'Idea: square instead\n```js\nfunction f(x) {\n  return x * x;\n}\n```\n', usage: { input: 10, output: 5 } },
    ]);
    const result = await llmRewrite({ problem, gateway }).propose(ctx());
    expect(result).toMatchObject({
      operator: 'llm-rewrite',
      model: 'openai:m',
      description: 'square instead',
      changes: { 'f.js': PROGRAM.replace('x * N', 'x * x') },
    });
    expect(result.cost).toMatchObject({ tokensIn: 10, tokensOut: 5 });
    expect(calls(store)).toEqual([{ candidate_id: null, error: null, usd: 0 }]);
    result.cost!.link(42);
    expect(calls(store)[0].candidate_id).toBe(42);
  });

  it('a reply that stays unusable makes the proposal an error result that still carries its call', async () => {
    const { store, problem, gateway } = await setup([{ garbage: true }]);
    const result = await llmDiff({ problem, gateway }).propose(ctx());
    expect('error' in result && result.error).toMatch(/^no usable reply from the model: openai:m: garbled stream/);
    result.cost!.link(7);
    expect(calls(store)).toEqual([{ candidate_id: 7, error: expect.stringMatching(/garbled stream/), usd: 0 }]);
  });

  it('a refused API key stops proposing (resumable), it is not a bad proposal', async () => {
    const { problem, gateway } = await setup([{ status: 401, message: 'invalid key' }]);
    const err = await llmDiff({ problem, gateway })
      .propose(ctx())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StopProposing);
    expect(err).toMatchObject({ status: 'interrupted', reason: expect.stringMatching(/HTTP 401.*Fix the model settings or the API key/) });
  });
});

describe('ModelGateway budget', () => {
  it('counts calls in flight: a second call that could pass budget.usd is refused before it starts', async () => {
    // max cost of a call: 1000 output tokens at $1000/Mtok = $1 (input free); budget $1.3
    const price = { inputPerMtok: 0, outputPerMtok: 1000 };
    const { server, client, gateway, store } = await setup(
      [{ reply: 'ok', usage: { input: 1, output: 400 }, delayMs: 300 }, { reply: 'ok' }],
      { maxTokens: 1000, price },
      1.3,
    );
    const never = new AbortController().signal;
    const signals = { signal: never, stopping: never };
    const first = gateway.complete(client, { system: 's', prompt: 'p', operator: 'llm-diff' }, new CallLog(store), signals);
    await new Promise((r) => setTimeout(r, 50));
    const second = await gateway.complete(client, { system: 's', prompt: 'p', operator: 'llm-diff' }, new CallLog(store), signals).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(StopProposing);
    expect((second as StopProposing).reason).toMatch(/^budget: usd — spent \$0\.0000 \(\+\$1\.0000 in flight\); the next call could cost up to \$1\.0000/);
    expect((await first).usage.usd).toBeCloseTo(0.4, 12);
    expect(server.requests).toHaveLength(1);
    // with $0.40 spent and nothing in flight, $1 more would pass $1.3 too
    await expect(gateway.complete(client, { system: 's', prompt: 'p', operator: 'x' }, new CallLog(store), signals)).rejects.toThrow(
      /spent \$0\.4000; the next call/,
    );
  });
});
