// Any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, Ollama, llama.cpp, LM Studio, OpenRouter, ...).
import OpenAI, { APIConnectionTimeoutError, APIError } from 'openai';
import { fromSdkError } from '../retry.js';
import { ModelError, type Attempt, type ModelSpec } from '../types.js';

const SDK = { APIError, APIConnectionTimeoutError };

export function openAiAttempt(spec: ModelSpec, apiKey: string, keyEnv: string): Attempt {
  const client = new OpenAI({ apiKey, baseURL: spec.baseUrl, maxRetries: 0, timeout: spec.timeoutMs, logLevel: 'off' });
  // api.openai.com's reasoning models refuse `max_tokens`; compatible servers mostly know only `max_tokens`.
  const official = new URL(client.baseURL).hostname === 'api.openai.com';
  const maxTokens = official ? { max_completion_tokens: spec.maxTokens } : { max_tokens: spec.maxTokens };
  return async (req, signal) => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: req.prompt }];
    if (req.system) messages.unshift({ role: 'system', content: req.system });
    let stream;
    try {
      stream = await client.chat.completions.create(
        {
          model: spec.name,
          messages,
          stream: true,
          stream_options: { include_usage: true },
          ...(spec.temperature === undefined ? {} : { temperature: spec.temperature }),
          ...(spec.maxTokens === undefined ? {} : maxTokens),
        },
        { signal },
      );
    } catch (err) {
      throw fromSdkError(err, 'request', SDK, keyEnv);
    }
    let text = '';
    let finished = false;
    let usage: OpenAI.CompletionUsage | undefined;
    try {
      for await (const chunk of stream) {
        const choice = chunk.choices[0];
        text += choice?.delta?.content ?? '';
        if (choice?.finish_reason) finished = true;
        if (chunk.usage) usage = chunk.usage;
      }
    } catch (err) {
      throw fromSdkError(err, 'stream', SDK, keyEnv);
    }
    if (!finished) {
      throw new ModelError('bad-response', 'the stream ended without a finish_reason: the reply is incomplete', { retryable: true });
    }
    return {
      text,
      inputTokens: usage?.prompt_tokens,
      outputTokens: usage?.completion_tokens,
      cachedTokens: usage?.prompt_tokens_details?.cached_tokens,
    };
  };
}
