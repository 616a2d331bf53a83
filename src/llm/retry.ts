// Our own retry loop (the SDKs' retries are off): bounded attempts, each cut off at its
// timeout, exponential backoff with full jitter, and the server's Retry-After honoured.
import { ModelError } from './types.js';

export interface BackoffOptions {
  /** First backoff ceiling; doubles per retry (default 1000 ms). */
  baseDelayMs?: number;
  /** Ceiling of the jittered backoff (default 30 s). */
  maxDelayMs?: number;
  /** A longer Retry-After than this is cut to it (default 60 s). */
  maxRetryAfterMs?: number;
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface RetryOptions extends BackoffOptions {
  /** Retries after the first attempt. */
  maxRetries: number;
  timeoutMs: number;
  signal?: AbortSignal;
}

const aborted = () => new ModelError('aborted', 'the call was cancelled by its caller');

export async function withRetries<T>(attempt: (signal: AbortSignal) => Promise<T>, opts: RetryOptions): Promise<{ value: T; attempts: number }> {
  const sleep = opts.sleep ?? abortableSleep;
  for (let n = 1; ; n++) {
    try {
      return { value: await runAttempt(attempt, opts.timeoutMs, opts.signal), attempts: n };
    } catch (err) {
      const error = err as ModelError;
      error.attempts = n;
      if (!error.retryable || n > opts.maxRetries) throw error;
      await sleep(backoffDelay(n, error, opts), opts.signal);
      if (opts.signal?.aborted) throw Object.assign(aborted(), { attempts: n });
    }
  }
}

/** Full jitter: uniform in [0, min(max, base·2^(n-1))], but never sooner than Retry-After (capped). */
export function backoffDelay(n: number, err: ModelError, opts: BackoffOptions): number {
  const ceiling = Math.min(opts.maxDelayMs ?? 30_000, (opts.baseDelayMs ?? 1000) * 2 ** (n - 1));
  const jitter = (opts.random ?? Math.random)() * ceiling;
  const retryAfter = Math.min(err.retryAfterMs ?? 0, opts.maxRetryAfterMs ?? 60_000);
  return Math.max(jitter, retryAfter);
}

async function runAttempt<T>(attempt: (signal: AbortSignal) => Promise<T>, timeoutMs: number, outer?: AbortSignal): Promise<T> {
  if (outer?.aborted) throw aborted();
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort();
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const work = attempt(controller.signal);
    work.catch(() => {}); // settled later by an SDK that ignores the abort; the race already decided
    // Racing the abort guarantees a wedged SDK or socket cannot outlive the timeout.
    const abandoned = new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(new Error('abandoned')), { once: true }));
    return await Promise.race([work, abandoned]);
  } catch (err) {
    if (outer?.aborted) throw aborted();
    if (controller.signal.aborted) {
      throw new ModelError('timeout', `no complete answer within ${timeoutMs} ms (raise the model's timeout if replies are long)`);
    }
    if (err instanceof ModelError) throw err;
    throw new ModelError('bad-response', `unexpected failure: ${String(err)}`, { cause: err });
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuterAbort);
  }
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Retry-After as seconds or an HTTP date → milliseconds from now. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** An HTTP error status → ModelError: 429, 408, 409 and 5xx are worth retrying; the rest need a fix. */
export function httpError(status: number, headers: Headers | undefined, sdkDetail: string, keyEnv: string): ModelError {
  // The SDKs prefix the status ("401 Incorrect API key", "401 status code (no body)"), and some servers' message is the status again ("401 401").
  const rest = sdkDetail.replace(new RegExp(`^${status}\\b\\s*`), '').trim();
  const empty = rest === '' || rest === '{}' || rest === 'status code (no body)' || rest.replace(/^"|"$/g, '') === String(status);
  const detail = empty ? 'the reply gave no detail' : rest;
  const opts = { status, retryAfterMs: parseRetryAfter(headers?.get('retry-after')) };
  if (status === 429) return new ModelError('rate-limit', `rate limited (HTTP 429): ${detail}`, opts);
  if (status >= 500) return new ModelError('server', `server error (HTTP ${status}): ${detail}`, opts);
  if (status === 408) return new ModelError('timeout', `request timeout (HTTP 408): ${detail}`, opts);
  if (status === 409) return new ModelError('server', `conflict (HTTP 409): ${detail}`, opts);
  if (status === 401 || status === 403) {
    return new ModelError('auth', `HTTP ${status}: ${detail} (check the API key in ${keyEnv})`, opts);
  }
  const hint = status === 404 ? ' (check the model name and base URL)' : ' (check the model settings: name, temperature, max_tokens)';
  return new ModelError('bad-response', `HTTP ${status}: ${detail}${hint}`, opts);
}

/** The SDK error classes that both official SDKs export under these names. */
export interface SdkErrorClasses {
  APIError: new (...args: never[]) => { status: number | undefined; headers: Headers | undefined; message: string };
  APIConnectionTimeoutError: new (...args: never[]) => Error;
}

/**
 * Maps an SDK failure to a ModelError. Before the response, a status-less failure is a
 * connection problem; once streaming, it means the stream broke off (retryable, never a success).
 */
export function fromSdkError(err: unknown, phase: 'request' | 'stream', sdk: SdkErrorClasses, keyEnv: string): ModelError {
  if (err instanceof ModelError) return err;
  if (err instanceof sdk.APIConnectionTimeoutError) return new ModelError('timeout', err.message, { cause: err });
  if (err instanceof sdk.APIError && err.status !== undefined) return httpError(err.status, err.headers, err.message, keyEnv);
  const message = describe(err);
  if (err instanceof SyntaxError) {
    return new ModelError('bad-response', `garbled stream (invalid JSON): ${message}`, { retryable: true, cause: err });
  }
  if (phase === 'request') return new ModelError('connection', `cannot reach the server: ${message}`, { cause: err });
  return new ModelError('bad-response', `stream broke off mid-reply: ${message}`, { retryable: true, cause: err });
}

/** "Connection error." alone helps nobody; the innermost cause says "connect ECONNREFUSED 127.0.0.1:8000". */
function describe(err: unknown): string {
  let root = err;
  while (root instanceof Error && root.cause instanceof Error) root = root.cause;
  const outer = err instanceof Error ? err.message : String(err);
  return root !== err && root instanceof Error ? `${outer} (${root.message})` : outer;
}
