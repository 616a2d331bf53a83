// The model-provider contract: one ModelClient per configured model, whatever the provider.
import type { Usage } from '../core/types.js';

export type Provider = 'openai' | 'anthropic';

/** Dollars per million tokens. `cachedInputPerMtok` applies to input served from the provider's prompt cache. */
export interface Price {
  inputPerMtok: number;
  outputPerMtok: number;
  cachedInputPerMtok?: number;
}

export interface ModelSpec {
  provider: Provider;
  name: string;
  /** OpenAI-compatible: up to and including `/v1`. Anthropic: the host root (the SDK adds `/v1/messages`). */
  baseUrl?: string;
  /** Environment variable holding the API key (default OPENAI_API_KEY / ANTHROPIC_API_KEY). */
  apiKeyEnv?: string;
  temperature?: number;
  maxTokens?: number;
  /** Each attempt is abandoned after this long, streaming included. */
  timeoutMs: number;
  /** Overrides the built-in price table. */
  price?: Price;
  /** Relative weight when several models are configured. */
  weight?: number;
  /** Retries after the first attempt (default 4). */
  maxRetries?: number;
  /** How long the run waits for this model while it does not answer before stopping (default 10 min). */
  maxOutageMs?: number;
}

export interface ChatRequest {
  system: string;
  prompt: string;
  signal?: AbortSignal;
}

export interface ChatResult {
  text: string;
  /** Token counts the server did not report are estimated with gpt-tokenizer; usd is 0 for a model with no known price. */
  usage: Usage;
  latencyMs: number;
  model: string;
  attempts: number;
}

export type ModelErrorKind = 'rate-limit' | 'server' | 'timeout' | 'connection' | 'bad-response' | 'auth' | 'aborted';

const RETRYABLE_BY_DEFAULT: Record<ModelErrorKind, boolean> = {
  'rate-limit': true,
  server: true,
  timeout: true,
  connection: true,
  'bad-response': false,
  auth: false,
  aborted: false,
};

export class ModelError extends Error {
  readonly kind: ModelErrorKind;
  readonly retryable: boolean;
  readonly status?: number;
  /** The server's Retry-After, in milliseconds, when it sent one. */
  readonly retryAfterMs?: number;
  /** Attempts made before giving up (0 when the call was refused before any attempt). */
  attempts: number;

  constructor(
    kind: ModelErrorKind,
    message: string,
    opts: { retryable?: boolean; status?: number; retryAfterMs?: number; attempts?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = 'ModelError';
    this.kind = kind;
    this.retryable = opts.retryable ?? RETRYABLE_BY_DEFAULT[kind];
    this.status = opts.status;
    this.retryAfterMs = opts.retryAfterMs;
    this.attempts = opts.attempts ?? 0;
  }
}

export interface ModelClient {
  readonly spec: ModelSpec;
  /** `provider:name`, e.g. "openai:gpt-5-mini". */
  readonly label: string;
  complete(req: ChatRequest): Promise<ChatResult>;
}

/** What one provider attempt yields; token counts are undefined when the server did not report them. */
export interface Reply {
  text: string;
  /** All input tokens, cached ones included. */
  inputTokens?: number;
  outputTokens?: number;
  cachedTokens?: number;
}

/** One attempt against a provider. Must stop when `signal` aborts and throw ModelError on any failure. */
export type Attempt = (req: ChatRequest, signal: AbortSignal) => Promise<Reply>;
