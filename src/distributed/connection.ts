// Connections to Redis for the coordinator and the workers: a URL (redis:// or rediss:// for
// TLS, with an optional user and password), shown only with its password masked. Every
// connection waits and reconnects while Redis is unreachable (commands queue, nothing is
// dropped), which is what lets a run pause through an outage and go on afterwards.
import { Redis } from 'ioredis';
import { UsageError } from '../core/errors.js';

/** The URL with its password (and a user's) replaced by ***: what logs, the store and the dashboard may show. */
export function maskRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(an unparsable Redis URL)';
  }
}

/** Where a Redis URL may come from instead of --redis: the process list shows a command's arguments to every user of the machine, not its environment. */
export const REDIS_URL_ENV = 'EVOLOOP_REDIS_URL';

/** Checks a Redis URL from `source` (--redis or EVOLOOP_REDIS_URL); the error names the problem without repeating a password. */
export function checkRedisUrl(url: string, source = '--redis'): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`${source}: expected a URL such as redis://host:6379 or rediss://:password@host:6380/0, got ${JSON.stringify(maskRedisUrl(url))}.`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new UsageError(`${source}: ${maskRedisUrl(url)} is not a Redis URL; use redis://host:6379 (or rediss:// for TLS).`);
  }
  return url;
}

/**
 * The Redis URL of --redis, else of EVOLOOP_REDIS_URL (checked), or undefined with neither.
 * The variable leaves this process's environment here, so nothing started later (a stage) inherits it.
 */
export function redisUrlFrom(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const fromEnv = env[REDIS_URL_ENV];
  delete env[REDIS_URL_ENV];
  if (flag !== undefined) return checkRedisUrl(flag);
  return fromEnv ? checkRedisUrl(fromEnv, REDIS_URL_ENV) : undefined;
}

export interface ConnectionEvents {
  /** Redis stopped answering (the first time since it last answered). */
  down?: (reason: string) => void;
  /** Redis answers again. */
  up?: () => void;
}

/** A connection that never gives up: commands wait in its queue while Redis is away. */
export function connectRedis(url: string, events: ConnectionEvents = {}): Redis {
  const redis = new Redis(checkRedisUrl(url), {
    maxRetriesPerRequest: null, // BullMQ's requirement; and a command waits out an outage instead of failing
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(100 * times, 1000),
    // A Redis that is up but not answering (a frozen host) counts as down after this long.
    connectTimeout: 5_000,
  });
  let down = false;
  redis.on('error', (err: Error) => {
    if (!down) events.down?.(err.message.replaceAll(url, maskRedisUrl(url)));
    down = true;
  });
  redis.on('close', () => {
    if (!down) events.down?.('connection closed');
    down = true;
  });
  redis.on('ready', () => {
    if (down) events.up?.();
    down = false;
  });
  return redis;
}

/** Closes a connection without it reporting an outage. */
export async function closeRedis(redis: Redis): Promise<void> {
  redis.removeAllListeners('close');
  redis.removeAllListeners('error');
  redis.on('error', () => {});
  await redis.quit().catch(() => redis.disconnect());
}
