// Anthropic's Messages API, streamed.
import Anthropic, { APIConnectionTimeoutError, APIError } from '@anthropic-ai/sdk';
import { DEFAULT_MAX_TOKENS } from '../choose-model.js';
import { fromSdkError } from '../retry.js';
import { ModelError, type Attempt, type ModelSpec } from '../types.js';

const SDK = { APIError, APIConnectionTimeoutError };

export function anthropicAttempt(spec: ModelSpec, apiKey: string, keyEnv: string): Attempt {
  const client = new Anthropic({ apiKey, baseURL: spec.baseUrl, maxRetries: 0, timeout: spec.timeoutMs, logLevel: 'off' });
  return async (req, signal) => {
    let stream;
    try {
      stream = await client.messages.create(
        {
          model: spec.name,
          max_tokens: spec.maxTokens ?? DEFAULT_MAX_TOKENS,
          messages: [{ role: 'user', content: req.prompt }],
          stream: true,
          ...(req.system ? { system: req.system } : {}),
          ...(spec.temperature === undefined ? {} : { temperature: spec.temperature }),
        },
        { signal },
      );
    } catch (err) {
      throw fromSdkError(err, 'request', SDK, keyEnv);
    }
    let text = '';
    let finished = false;
    let input: number | undefined;
    let cached: number | undefined;
    let output: number | undefined;
    try {
      for await (const event of stream) {
        if (event.type === 'message_start') {
          const u = event.message.usage;
          // Anthropic's input_tokens excludes cache reads/writes; ours counts every input token.
          cached = u?.cache_read_input_tokens ?? undefined;
          if (u?.input_tokens !== undefined) input = u.input_tokens + (cached ?? 0) + (u.cache_creation_input_tokens ?? 0);
        } else if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') {
          text += event.delta.text;
        } else if (event.type === 'message_delta') {
          output = event.usage?.output_tokens ?? output;
        } else if (event.type === 'message_stop') {
          finished = true;
        }
      }
    } catch (err) {
      throw fromSdkError(err, 'stream', SDK, keyEnv);
    }
    if (!finished) {
      throw new ModelError('bad-response', 'the stream ended without message_stop: the reply is incomplete', { retryable: true });
    }
    return { text, inputTokens: input, outputTokens: output, cachedTokens: cached };
  };
}
