// One entry point for calling a model: retries, timeouts, token accounting and cost, whatever the provider.
import { countTokens } from './tokens.js';
import { isLoopback } from '../core/loopback.js';
import { DEFAULT_KEY_ENV, DEFAULT_MAX_RETRIES } from './choose-model.js';
import { costUsd, priceFor } from './pricing.js';
import { withRetries, type BackoffOptions } from './retry.js';
import { ModelError, type Attempt, type ChatRequest, type ModelClient, type ModelSpec, type Reply } from './types.js';

export * from './types.js';
export {
  chooseModel,
  detectModelFromEnv,
  parseModelFlag,
  DEFAULT_KEY_ENV,
  DEFAULT_MAX_RETRIES,
  DEFAULT_MAX_TOKENS,
  DEFAULT_MODELS,
  DEFAULT_TIMEOUT_MS,
} from './choose-model.js';
export { costUsd, priceFor } from './pricing.js';
export type { BackoffOptions } from './retry.js';

/** The provider's SDK is loaded on the first call: hundreds of ms that a run without a model should not pay. */
function providerAttempt(spec: ModelSpec, apiKey: string, keyEnv: string): Attempt {
  let made: Promise<Attempt> | undefined;
  return async (req, signal) => {
    made ??=
      spec.provider === 'openai'
        ? import('./openai/client.js').then((m) => m.openAiAttempt(spec, apiKey, keyEnv))
        : import('./anthropic/client.js').then((m) => m.anthropicAttempt(spec, apiKey, keyEnv));
    return (await made)(req, signal);
  };
}

/** Throws ModelError('auth') when the key is missing and the server is not on this machine. */
export function createModelClient(spec: ModelSpec, env: NodeJS.ProcessEnv = process.env, backoff: BackoffOptions = {}): ModelClient {
  const label = `${spec.provider}:${spec.name}`;
  const keyEnv = spec.apiKeyEnv ?? DEFAULT_KEY_ENV[spec.provider];
  const apiKey = resolveApiKey(label, keyEnv, spec.baseUrl, env);
  const attempt = providerAttempt(spec, apiKey, keyEnv);
  const price = priceFor(spec);

  return {
    spec,
    label,
    async complete(req) {
      const started = performance.now();
      let result;
      try {
        result = await withRetries(async (signal) => nonEmpty(await attempt(req, signal)), {
          ...backoff,
          maxRetries: spec.maxRetries ?? DEFAULT_MAX_RETRIES,
          timeoutMs: spec.timeoutMs,
          signal: req.signal,
        });
      } catch (err) {
        const e = err as ModelError;
        // "failed", not "gave up": after an outage the gateway tries again (until model.max_outage).
        const tries = e.attempts === 1 ? '1 attempt' : `${e.attempts} attempts`;
        throw new ModelError(e.kind, `${label}: ${e.message} (${tries} failed)`, {
          retryable: e.retryable,
          status: e.status,
          retryAfterMs: e.retryAfterMs,
          attempts: e.attempts,
          cause: e,
        });
      }
      const tokens = countUsage(req, result.value);
      return {
        text: result.value.text,
        usage: { ...tokens, usd: costUsd(tokens, price) },
        latencyMs: performance.now() - started,
        model: label,
        attempts: result.attempts,
      };
    },
  };
}

function nonEmpty(reply: Reply): Reply {
  if (reply.text.trim() === '') throw new ModelError('bad-response', 'the model returned an empty reply', { retryable: true });
  return reply;
}

/** Counts the server did not report are estimated with gpt-tokenizer (close enough for budgets). */
function countUsage(req: ChatRequest, reply: Reply) {
  return {
    inputTokens: reply.inputTokens ?? countTokens(`${req.system}\n${req.prompt}`),
    outputTokens: reply.outputTokens ?? countTokens(reply.text),
    cachedTokens: reply.cachedTokens ?? 0,
  };
}

function resolveApiKey(label: string, keyEnv: string, baseUrl: string | undefined, env: NodeJS.ProcessEnv): string {
  const key = env[keyEnv];
  if (key) return key;
  if (baseUrl && isLoopbackUrl(baseUrl)) return 'no-key-needed-for-local-server'; // Ollama, llama.cpp, vLLM need none
  throw new ModelError('auth', `${label} needs an API key: set the environment variable ${keyEnv}` + ` (or point api_key_env at the variable that holds it)`);
}

function isLoopbackUrl(url: string): boolean {
  try {
    return isLoopback(new URL(url).hostname);
  } catch {
    return false;
  }
}
