// createModelClient against a real loopback server, for both providers and every fault it can inject.
import { createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer, type FakeStep } from '../../test/support/fake-llm-server.js';
import { createModelClient, ModelError, type ModelSpec, type Provider } from './index.js';

const fast = { baseDelayMs: 1 };
const ask = { system: 'You improve programs.', prompt: 'Make fib faster.' };

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: ModelError) => e,
  );

describe.each(['openai', 'anthropic'] as Provider[])('%s provider', (provider) => {
  let server: FakeLlmServer;
  beforeEach(async () => {
    server = await startFakeLlmServer();
  });
  afterEach(() => server.close());

  const client = (over: Partial<ModelSpec> = {}, backoff = fast) =>
    createModelClient(
      {
        provider,
        name: provider === 'openai' ? 'gpt-4o' : 'claude-sonnet-4-5',
        baseUrl: provider === 'openai' ? server.openaiBaseUrl : server.anthropicBaseUrl,
        timeoutMs: 2000,
        ...over,
      },
      {},
      backoff,
    );
  const script = (...steps: FakeStep[]) => server.push(...steps);

  it('streams a reply and records tokens, cached tokens and cost', async () => {
    script({ reply: 'Use memoization.\nDone.', usage: { input: 1000, output: 200, cached: 400 } });
    const result = await client().complete(ask);
    expect(result.text).toBe('Use memoization.\nDone.');
    expect(result.usage).toMatchObject({ inputTokens: 1000, outputTokens: 200, cachedTokens: 400 });
    const expected = provider === 'openai' ? (600 * 2.5 + 400 * 1.25 + 200 * 10) / 1e6 : (600 * 3 + 400 * 0.3 + 200 * 15) / 1e6;
    expect(result.usage.usd).toBeCloseTo(expected, 12);
    expect(result.attempts).toBe(1);
    expect(result.model).toBe(`${provider}:${provider === 'openai' ? 'gpt-4o' : 'claude-sonnet-4-5'}`);
    expect(result.latencyMs).toBeGreaterThan(0);
    const [req] = server.requests;
    expect(req.provider).toBe(provider);
    expect(req.prompt).toBe('You improve programs.\nMake fib faster.');
    expect(req.body.stream).toBe(true);
  });

  it('estimates tokens with gpt-tokenizer when the server reports none', async () => {
    script({ reply: 'a short answer', usage: null });
    const result = await client().complete(ask);
    expect(result.usage.inputTokens).toBeGreaterThan(3);
    expect(result.usage.outputTokens).toBe(3);
    expect(result.usage.usd).toBeGreaterThan(0);
  });

  it('costs $0 for a model without a price', async () => {
    script({ reply: 'ok', usage: { input: 10, output: 2 } });
    const result = await client({ name: 'llama3.1:8b' }).complete(ask);
    expect(result.usage.usd).toBe(0);
  });

  it('retries 5xx, then succeeds', async () => {
    script({ status: 500 }, { status: 503 }, { reply: 'third time' });
    const result = await client().complete(ask);
    expect([result.text, result.attempts, server.requests.length]).toEqual(['third time', 3, 3]);
  });

  it('honours Retry-After on 429', async () => {
    script({ status: 429, retryAfter: 1 }, { reply: 'after the wait' });
    const started = Date.now();
    const result = await client().complete(ask);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect([result.text, result.attempts]).toEqual(['after the wait', 2]);
  });

  it('gives up on a dead endpoint with a connection error after bounded attempts', async () => {
    const port = await closedPort();
    const base = provider === 'openai' ? `http://127.0.0.1:${port}/v1` : `http://127.0.0.1:${port}`;
    const err = await failure(client({ baseUrl: base, maxRetries: 2 }).complete(ask));
    expect(err).toBeInstanceOf(ModelError);
    expect([err.kind, err.attempts]).toEqual(['connection', 3]);
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(err.message).toContain(`${provider}:`);
  });

  it('abandons a server that never answers at the timeout, each attempt', async () => {
    script({ hang: true }, { hang: true });
    const started = Date.now();
    const err = await failure(client({ timeoutMs: 300, maxRetries: 1 }).complete(ask));
    const elapsed = Date.now() - started;
    expect([err.kind, err.attempts, server.requests.length]).toEqual(['timeout', 2, 2]);
    expect(elapsed).toBeGreaterThanOrEqual(550);
    expect(elapsed).toBeLessThan(300 * 2 + 700);
  });

  it('abandons a stream that stalls mid-way at the timeout', async () => {
    script({ truncate: true, then: 'stall' });
    const started = Date.now();
    const err = await failure(client({ timeoutMs: 300, maxRetries: 0 }).complete(ask));
    expect([err.kind, err.attempts]).toEqual(['timeout', 1]);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('retries a hung attempt and succeeds on the next', async () => {
    script({ hang: true }, { reply: 'late but fine' });
    const result = await client({ timeoutMs: 300 }).complete(ask);
    expect([result.text, result.attempts]).toEqual(['late but fine', 2]);
  });

  it('treats a stream cut mid-way (socket destroyed) as retryable, never as a half reply', async () => {
    script({ truncate: true }, { reply: 'whole reply' });
    const result = await client().complete(ask);
    expect([result.text, result.attempts]).toEqual(['whole reply', 2]);
  });

  it('treats a stream that ends cleanly without its final event as truncated', async () => {
    script({ truncate: true, then: 'end' }, { truncate: true, then: 'end' });
    const err = await failure(client({ maxRetries: 1 }).complete(ask));
    expect([err.kind, err.retryable, err.attempts]).toEqual(['bad-response', true, 2]);
    expect(err.message).toMatch(/incomplete/);
  });

  it('reports garbage as a bad response, and retries it', async () => {
    script({ garbage: true }, { garbage: true });
    const err = await failure(client({ maxRetries: 1 }).complete(ask));
    expect([err.kind, err.attempts]).toEqual(['bad-response', 2]);
    script({ garbage: true }, { reply: 'clean' });
    expect((await client().complete(ask)).text).toBe('clean');
  });

  it('retries an empty reply', async () => {
    script({ empty: true }, { reply: 'not empty' });
    const result = await client().complete(ask);
    expect([result.text, result.attempts]).toEqual(['not empty', 2]);
  });

  it('does not retry auth failures or bad requests', async () => {
    script({ status: 401, message: 'invalid x-api-key' });
    const auth = await failure(client().complete(ask));
    expect([auth.kind, auth.status, auth.attempts, server.requests.length]).toEqual(['auth', 401, 1, 1]);
    expect(auth.message).toContain(provider === 'openai' ? 'OPENAI_API_KEY' : 'ANTHROPIC_API_KEY');
    script({ status: 400, message: 'temperature is not supported' }, { status: 404 });
    const bad = await failure(client().complete(ask));
    expect([bad.kind, bad.retryable, bad.attempts]).toEqual(['bad-response', false, 1]);
    expect(bad.message).toContain('temperature is not supported');
  });

  it("stops at once when the caller's signal aborts", async () => {
    script({ hang: true });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    const err = await failure(client({ timeoutMs: 30_000 }).complete({ ...ask, signal: controller.signal }));
    expect([err.kind, err.attempts]).toEqual(['aborted', 1]);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('sends the key from the configured variable', async () => {
    script({ reply: 'ok' });
    const spec: ModelSpec = {
      provider,
      name: 'm',
      baseUrl: provider === 'openai' ? server.openaiBaseUrl : server.anthropicBaseUrl,
      apiKeyEnv: 'MY_LLM_KEY',
      timeoutMs: 2000,
    };
    await createModelClient(spec, { MY_LLM_KEY: 'sk-test-123' }).complete(ask);
    const headers = server.requests[0].headers;
    // Anthropic SDK 1.x sends the key as a bearer token, as the OpenAI SDK does.
    expect(headers['x-api-key'] ?? headers.authorization).toMatch(/^(Bearer )?sk-test-123$/);
  });
});

describe('API keys', () => {
  it('refuses a remote endpoint without a key, naming the variable to set', () => {
    expect(() => createModelClient({ provider: 'openai', name: 'gpt-4o', timeoutMs: 1000 }, {})).toThrow(/set the environment variable OPENAI_API_KEY/);
    expect(() => createModelClient({ provider: 'anthropic', name: 'claude-sonnet-4-5', timeoutMs: 1000, apiKeyEnv: 'TEAM_KEY' }, {})).toThrow(/TEAM_KEY/);
    expect(() => createModelClient({ provider: 'openai', name: 'x', baseUrl: 'https://openrouter.ai/api/v1', timeoutMs: 1000 }, {})).toThrow(ModelError);
  });

  it('needs no key for a server on this machine', () => {
    for (const baseUrl of ['http://127.0.0.1:11434/v1', 'http://localhost:8080/v1', 'http://[::1]:8000/v1']) {
      expect(createModelClient({ provider: 'openai', name: 'llama3', baseUrl, timeoutMs: 1000 }, {}).label).toBe('openai:llama3');
    }
  });
});
