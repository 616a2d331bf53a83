import { describe, expect, it } from 'vitest';
import { backoffDelay, httpError, parseRetryAfter, withRetries } from './retry.js';
import { ModelError } from './types.js';

const fast = { baseDelayMs: 1, timeoutMs: 1000 };

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates, ignores nonsense', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('0.5')).toBe(500);
    const now = Date.parse('Wed, 21 Oct 2026 07:28:00 GMT');
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:28:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:27:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});

describe('backoffDelay', () => {
  const plain = new ModelError('server', 'x');
  it('is full jitter under an exponentially growing, capped ceiling', () => {
    expect(backoffDelay(1, plain, { baseDelayMs: 100, random: () => 0.999 })).toBeCloseTo(99.9);
    expect(backoffDelay(4, plain, { baseDelayMs: 100, random: () => 0.5 })).toBe(400);
    expect(backoffDelay(20, plain, { baseDelayMs: 100, maxDelayMs: 5000, random: () => 1 })).toBe(5000);
    expect(backoffDelay(3, plain, { baseDelayMs: 100, random: () => 0 })).toBe(0);
  });
  it('waits at least Retry-After, but no longer than its cap', () => {
    const limited = new ModelError('rate-limit', 'x', { retryAfterMs: 2000 });
    expect(backoffDelay(1, limited, { baseDelayMs: 10, random: () => 0.5 })).toBe(2000);
    const huge = new ModelError('rate-limit', 'x', { retryAfterMs: 3_600_000 });
    expect(backoffDelay(1, huge, { maxRetryAfterMs: 60_000, random: () => 0 })).toBe(60_000);
  });
});

describe('httpError', () => {
  it('classifies statuses into kinds and retryability', () => {
    const h = new Headers({ 'retry-after': '7' });
    const cases: Array<[number, string, boolean]> = [
      [429, 'rate-limit', true],
      [500, 'server', true],
      [503, 'server', true],
      [529, 'server', true],
      [408, 'timeout', true],
      [400, 'bad-response', false],
      [401, 'auth', false],
      [403, 'auth', false],
      [404, 'bad-response', false],
      [422, 'bad-response', false],
    ];
    for (const [status, kind, retryable] of cases) {
      const e = httpError(status, h, 'detail', 'MY_KEY');
      expect([status, e.kind, e.retryable, e.status, e.retryAfterMs]).toEqual([status, kind, retryable, status, 7000]);
    }
    expect(httpError(401, undefined, 'bad key', 'MY_KEY').message).toContain('MY_KEY');
    expect(httpError(404, undefined, 'no such model', 'K').message).toContain('model name and base URL');
  });

  it('says the status once, whatever the SDK or server put in the message', () => {
    expect(httpError(401, undefined, '401 401', 'MY_KEY').message).toBe('HTTP 401: the reply gave no detail (check the API key in MY_KEY)');
    expect(httpError(401, undefined, '401 status code (no body)', 'MY_KEY').message).toBe('HTTP 401: the reply gave no detail (check the API key in MY_KEY)');
    expect(httpError(401, undefined, '401 "401"', 'K').message).not.toMatch(/401.*401.*401/);
    expect(httpError(401, undefined, '401 Incorrect API key provided', 'K').message).toBe('HTTP 401: Incorrect API key provided (check the API key in K)');
    expect(httpError(500, undefined, '500 {}', 'K').message).toBe('server error (HTTP 500): the reply gave no detail');
  });
});

describe('withRetries', () => {
  it('retries retryable failures and reports the attempt count', async () => {
    let calls = 0;
    const result = await withRetries(
      async () => {
        if (++calls < 3) throw new ModelError('server', 'boom');
        return 'ok';
      },
      { ...fast, maxRetries: 4 },
    );
    expect(result).toEqual({ value: 'ok', attempts: 3 });
  });

  it('gives up after maxRetries + 1 attempts', async () => {
    let calls = 0;
    const err = await withRetries(
      async () => {
        calls++;
        throw new ModelError('connection', 'down');
      },
      { ...fast, maxRetries: 2 },
    ).catch((e) => e);
    expect([err.kind, err.attempts, calls]).toEqual(['connection', 3, 3]);
  });

  it('does not retry a non-retryable failure', async () => {
    let calls = 0;
    const err = await withRetries(
      async () => {
        calls++;
        throw new ModelError('auth', 'bad key');
      },
      { ...fast, maxRetries: 4 },
    ).catch((e) => e);
    expect([err.kind, err.attempts, calls]).toEqual(['auth', 1, 1]);
  });

  it('abandons an attempt that never settles at its timeout, even if it ignores the signal', async () => {
    const started = Date.now();
    const err = await withRetries(() => new Promise(() => {}), { ...fast, timeoutMs: 100, maxRetries: 1 }).catch((e) => e);
    expect([err.kind, err.attempts]).toEqual(['timeout', 2]);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('gives the attempt an AbortSignal that fires at the timeout', async () => {
    let seen: AbortSignal | undefined;
    await withRetries(
      (signal) => {
        seen = signal;
        return new Promise(() => {});
      },
      { ...fast, timeoutMs: 50, maxRetries: 0 },
    ).catch(() => {});
    expect(seen?.aborted).toBe(true);
  });

  it('stops at once when the caller aborts, during an attempt or during backoff', async () => {
    const during = new AbortController();
    setTimeout(() => during.abort(), 50);
    const started = Date.now();
    const e1 = await withRetries(() => new Promise(() => {}), { timeoutMs: 60_000, maxRetries: 4, signal: during.signal }).catch((e) => e);
    expect(e1.kind).toBe('aborted');
    expect(Date.now() - started).toBeLessThan(1000);

    const backoff = new AbortController();
    setTimeout(() => backoff.abort(), 50);
    const e2 = await withRetries(
      async () => {
        throw new ModelError('server', 'boom');
      },
      { timeoutMs: 1000, maxRetries: 4, baseDelayMs: 60_000, random: () => 1, signal: backoff.signal },
    ).catch((e) => e);
    expect([e2.kind, e2.attempts]).toEqual(['aborted', 1]);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('wraps an unexpected exception as a non-retryable bad-response', async () => {
    const err = await withRetries(
      async () => {
        throw new TypeError('bug');
      },
      { ...fast, maxRetries: 3 },
    ).catch((e) => e);
    expect([err.kind, err.retryable, err.attempts]).toEqual(['bad-response', false, 1]);
  });
});
