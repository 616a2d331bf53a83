// Which model to call: from the --model flag, from the environment, or by weight among
// several; and the defaults of a model's settings, whichever way it was configured.
import { weightedChoice } from '../core/random.js';
import type { ModelSpec, Provider } from './types.js';

/** Long enough for a whole-file rewrite; short enough that a dead call cannot wedge a run. */
export const DEFAULT_TIMEOUT_MS = 300_000;

/** Retries after the first attempt of a call. */
export const DEFAULT_MAX_RETRIES = 4;

/** How long a run waits for a model that does not answer (rate limits, 5xx, timeouts, no connection) before it stops. */
export const DEFAULT_MAX_OUTAGE_MS = 600_000;

/** The longest single wait between tries while a model is down, whatever its Retry-After says. */
export const MAX_OUTAGE_WAIT_MS = 300_000;

/** max_tokens when none is configured (room for a whole rewritten file): sent to Anthropic, which requires one, and assumed by the usd budget's estimate. */
export const DEFAULT_MAX_TOKENS = 16_384;

export const DEFAULT_MODELS: Record<Provider, string> = { openai: 'gpt-5-mini', anthropic: 'claude-sonnet-4-5' };

export const DEFAULT_KEY_ENV: Record<Provider, string> = { openai: 'OPENAI_API_KEY', anthropic: 'ANTHROPIC_API_KEY' };

/** `--model openai:NAME` / `anthropic:NAME`. Only the first colon splits: Ollama names contain colons ("qwen2.5-coder:7b"). */
export function parseModelFlag(flag: string, baseUrl?: string): ModelSpec {
  const colon = flag.indexOf(':');
  const provider = flag.slice(0, colon);
  const name = flag.slice(colon + 1);
  if (colon < 0 || !name || (provider !== 'openai' && provider !== 'anthropic')) {
    throw new Error(
      `--model expects provider:name with provider "openai" (any OpenAI-compatible server) or "anthropic", ` +
        `e.g. --model openai:gpt-5-mini or --model anthropic:claude-sonnet-4-5, or auto (the provider whose API key is set); got "${flag}"`,
    );
  }
  return { provider, name, timeoutMs: DEFAULT_TIMEOUT_MS, ...(baseUrl ? { baseUrl } : {}) };
}

/** For `model: auto` / `--model auto`: the provider whose API key is set (OpenAI first), with its default model. */
export function detectModelFromEnv(env: NodeJS.ProcessEnv = process.env): ModelSpec | undefined {
  const provider = (['openai', 'anthropic'] as const).find((p) => env[DEFAULT_KEY_ENV[p]]);
  if (!provider) return undefined;
  return { provider, name: DEFAULT_MODELS[provider], apiKeyEnv: DEFAULT_KEY_ENV[provider], timeoutMs: DEFAULT_TIMEOUT_MS };
}

/** Weighted random choice (weight defaults to 1; 0 disables a model). */
export function chooseModel(specs: readonly ModelSpec[], rng: () => number = Math.random): ModelSpec {
  const items = specs.map((s) => ({ item: s, weight: s.weight ?? 1 }));
  if (items.every((i) => i.weight === 0)) throw new Error('no model to choose from: configure at least one model with a weight above 0');
  return weightedChoice(items, rng);
}
