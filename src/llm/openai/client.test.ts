import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer } from '../../../test/support/fake-llm-server.js';
import { openAiAttempt } from './client.js';

describe('openAiAttempt', () => {
  let server: FakeLlmServer;
  beforeAll(async () => {
    server = await startFakeLlmServer({ steps: [], whenExhausted: { reply: 'ok', usage: { input: 5, output: 1 } } });
  });
  afterAll(() => server.close());
  const spec = { provider: 'openai' as const, name: 'local-model', baseUrl: '', timeoutMs: 2000 };

  it('streams a chat completion asking for usage, with system and user messages', async () => {
    const attempt = openAiAttempt({ ...spec, baseUrl: server.openaiBaseUrl }, 'k', 'OPENAI_API_KEY');
    const reply = await attempt({ system: 'be brief', prompt: 'hello' }, new AbortController().signal);
    expect(reply).toEqual({ text: 'ok', inputTokens: 5, outputTokens: 1, cachedTokens: 0 });
    const body = server.requests.at(-1)!.body;
    expect(body).toEqual({
      model: 'local-model',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hello' },
      ],
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('sends temperature and max_tokens only when configured, and no empty system message', async () => {
    const attempt = openAiAttempt({ ...spec, baseUrl: server.openaiBaseUrl, temperature: 0.2, maxTokens: 900 }, 'k', 'K');
    await attempt({ system: '', prompt: 'hello' }, new AbortController().signal);
    const body = server.requests.at(-1)!.body;
    expect(body.messages).toEqual([{ role: 'user', content: 'hello' }]);
    expect([body.temperature, body.max_tokens, body.max_completion_tokens]).toEqual([0.2, 900, undefined]);
  });

  it('reads a server that ignores stream: true and answers one JSON completion, with the usage it reports', async () => {
    server.push({ reply: 'whole reply', usage: { input: 40, output: 7, cached: 8 }, ignoreStream: true });
    const attempt = openAiAttempt({ ...spec, baseUrl: server.openaiBaseUrl }, 'k', 'K');
    const reply = await attempt({ system: '', prompt: 'hello' }, new AbortController().signal);
    expect(server.requests.at(-1)!.body.stream).toBe(true);
    expect(reply).toEqual({ text: 'whole reply', inputTokens: 40, outputTokens: 7, cachedTokens: 8 });
  });
});
