import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { startFakeLlmServer } from './fake-llm-server.js';

const post = (url: string, body: object) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const json = async (res: Response | Promise<Response>): Promise<any> => (await res).json();

describe('fake LLM server', () => {
  it('answers non-streaming requests in both protocols', async () => {
    const server = await startFakeLlmServer([
      { reply: 'one', usage: { input: 7, output: 2, cached: 3 } },
      { reply: 'two', usage: { input: 7, output: 2, cached: 3 } },
    ]);
    try {
      const openai = await json(post(`${server.openaiBaseUrl}/chat/completions`, { model: 'm', messages: [{ role: 'user', content: 'q' }] }));
      expect(openai.choices[0]).toMatchObject({ message: { content: 'one' }, finish_reason: 'stop' });
      expect(openai.usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 2, prompt_tokens_details: { cached_tokens: 3 } });
      const anthropic = await json(post(`${server.anthropicBaseUrl}/v1/messages`, { model: 'm', system: 's', messages: [{ role: 'user', content: 'q' }] }));
      expect(anthropic.content).toEqual([{ type: 'text', text: 'two' }]);
      expect(anthropic.usage).toEqual({ input_tokens: 4, cache_read_input_tokens: 3, output_tokens: 2 });
      expect(server.requests.map((r) => [r.provider, r.prompt])).toEqual([
        ['openai', 'q'],
        ['anthropic', 's\nq'],
      ]);
    } finally {
      await server.close();
    }
  });

  it('answers 500 once the script is exhausted, or repeats the last step if asked', async () => {
    const strict = await startFakeLlmServer([]);
    const res = await post(`${strict.openaiBaseUrl}/chat/completions`, { model: 'm', messages: [] });
    expect([res.status, (await json(res)).error.message]).toEqual([500, 'fake-llm-server: script exhausted']);
    await strict.close();

    const repeating = await startFakeLlmServer({ steps: [{ reply: 'again' }], whenExhausted: 'repeat-last' });
    for (let i = 0; i < 3; i++) {
      const body = await json(post(`${repeating.openaiBaseUrl}/chat/completions`, { model: 'm', messages: [] }));
      expect(body.choices[0].message.content).toBe('again');
    }
    await repeating.close();
  });

  it('sends Retry-After with an injected 429 and 404s unknown routes without using a step', async () => {
    const server = await startFakeLlmServer([{ status: 429, retryAfter: 3 }]);
    expect((await post(`${server.url}/v1/embeddings`, {})).status).toBe(404);
    const res = await post(`${server.anthropicBaseUrl}/v1/messages`, { model: 'm', messages: [] });
    expect([res.status, res.headers.get('retry-after')]).toEqual([429, '3']);
    expect((await json(res)).error.type).toBe('api_error');
    await server.close();
  });

  it('closes promptly even with a request hanging', async () => {
    const server = await startFakeLlmServer([{ hang: true }]);
    const pending = post(`${server.openaiBaseUrl}/chat/completions`, { model: 'm', messages: [] }).catch((e) => e);
    while (server.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await pending).toBeInstanceOf(Error);
  });

  it('runs standalone from a script file and prints its URL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fake-llm-'));
    const file = join(dir, 'script.json');
    writeFileSync(file, JSON.stringify({ steps: [{ reply: 'from a file' }] }));
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fake-llm-server.ts'), '--script', file], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const [url] = await once(createInterface({ input: child.stdout! }), 'line');
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const body = await json(post(`${url}/v1/chat/completions`, { model: 'm', messages: [] }));
      expect(body.choices[0].message.content).toBe('from a file');
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
  });
});
