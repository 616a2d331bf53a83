// Any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, Ollama, llama.cpp, LM Studio, OpenRouter, ...).
// Some local servers ignore `stream: true` and answer one JSON completion: that answer is read
// as what it is (with the usage it reports) instead of as an empty stream.
import OpenAI, { APIConnectionTimeoutError, APIError } from 'openai';
import { Stream } from 'openai/streaming';
import { fromSdkError } from '../retry.js';
import { ModelError, type Attempt, type ModelSpec, type Reply } from '../types.js';

const SDK = { APIError, APIConnectionTimeoutError };

export function openAiAttempt(spec: ModelSpec, apiKey: string, keyEnv: string): Attempt {
  const client = new OpenAI({ apiKey, baseURL: spec.baseUrl, maxRetries: 0, timeout: spec.timeoutMs, logLevel: 'off' });
  // api.openai.com's reasoning models refuse `max_tokens`; compatible servers mostly know only `max_tokens`.
  const official = new URL(client.baseURL).hostname === 'api.openai.com';
  const maxTokens = official ? { max_completion_tokens: spec.maxTokens } : { max_tokens: spec.maxTokens };
  return async (req, signal) => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: req.prompt }];
    if (req.system) messages.unshift({ role: 'system', content: req.system });
    let response: Response;
    try {
      response = await client.chat.completions
        .create(
          {
            model: spec.name,
            messages,
            stream: true,
            stream_options: { include_usage: true },
            ...(spec.temperature === undefined ? {} : { temperature: spec.temperature }),
            ...(spec.maxTokens === undefined ? {} : maxTokens),
          },
          { signal },
        )
        .asResponse();
    } catch (err) {
      throw fromSdkError(err, 'request', SDK, keyEnv);
    }
    if (/^application\/json\b/i.test(response.headers.get('content-type') ?? '')) return readCompletion(response);
    const controller = new AbortController();
    signal.addEventListener('abort', () => controller.abort(), { once: true });
    const stream = Stream.fromSSEResponse<OpenAI.ChatCompletionChunk>(response, controller);
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

/** A whole completion where a stream was asked for: the server does not stream. */
async function readCompletion(response: Response): Promise<Reply> {
  let body: OpenAI.ChatCompletion;
  try {
    body = (await response.json()) as OpenAI.ChatCompletion;
  } catch (err) {
    throw new ModelError('bad-response', `the server answered application/json that does not parse: ${(err as Error).message}`, {
      retryable: true,
      cause: err,
    });
  }
  const choice = body?.choices?.[0];
  if (typeof choice?.message?.content !== 'string') {
    throw new ModelError('bad-response', 'the server answered a JSON completion without choices[0].message.content', { retryable: true });
  }
  return {
    text: choice.message.content,
    inputTokens: body.usage?.prompt_tokens,
    outputTokens: body.usage?.completion_tokens,
    cachedTokens: body.usage?.prompt_tokens_details?.cached_tokens,
  };
}
