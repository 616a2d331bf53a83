import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer } from '../../../test/support/fake-llm-server.js';
import { anthropicAttempt } from './client.js';

describe('anthropicAttempt', () => {
  let server: FakeLlmServer;
  beforeAll(async () => {
    server = await startFakeLlmServer({ steps: [], whenExhausted: { reply: 'ok', usage: { input: 50, output: 3, cached: 20 } } });
  });
  afterAll(() => server.close());

  it('streams a message with the system prompt apart and a default max_tokens', async () => {
    const attempt = anthropicAttempt({ provider: 'anthropic', name: 'claude-x', baseUrl: server.anthropicBaseUrl, timeoutMs: 2000 }, 'k', 'K');
    const reply = await attempt({ system: 'be brief', prompt: 'hello' }, new AbortController().signal);
    // 30 uncached + 20 cache reads, as Anthropic reports them, are 50 input tokens in all.
    expect(reply).toEqual({ text: 'ok', inputTokens: 50, outputTokens: 3, cachedTokens: 20 });
    const request = server.requests.at(-1)!;
    expect(request.path).toBe('/v1/messages');
    expect(request.body).toEqual({
      model: 'claude-x',
      max_tokens: 16_384,
      messages: [{ role: 'user', content: 'hello' }],
      stream: true,
      system: 'be brief',
    });
  });

  it('sends temperature and max_tokens from the spec', async () => {
    const spec = { provider: 'anthropic' as const, name: 'c', baseUrl: server.anthropicBaseUrl, timeoutMs: 2000, temperature: 0.7, maxTokens: 300 };
    await anthropicAttempt(spec, 'k', 'K')({ system: '', prompt: 'hi' }, new AbortController().signal);
    const body = server.requests.at(-1)!.body;
    expect([body.temperature, body.max_tokens, body.system]).toEqual([0.7, 300, undefined]);
  });
});
