import { Redis, type RedisOptions } from 'ioredis';

/**
 * Where Redis is: a URL naming Redis itself, or a URL (its password and database number) with the Sentinels
 * that name the current primary of `name`.
 */
export type RedisTarget = string | { url: string; sentinels: Array<{ host: string; port: number }>; name: string; sentinelPassword?: string };

/** The target the settings name: REDIS_URL alone, or with REDIS_SENTINELS and REDIS_SENTINEL_NAME. Pure. */
export function redisTarget(c: { REDIS_URL: string; REDIS_SENTINELS?: string; REDIS_SENTINEL_NAME: string; REDIS_SENTINEL_PASSWORD?: string }): RedisTarget {
  if (!c.REDIS_SENTINELS) return c.REDIS_URL;
  const sentinels = c.REDIS_SENTINELS.split(',').map((hp) => {
    const i = hp.lastIndexOf(':');
    return { host: hp.slice(0, i), port: Number(hp.slice(i + 1)) };
  });
  return { url: c.REDIS_URL, sentinels, name: c.REDIS_SENTINEL_NAME, ...(c.REDIS_SENTINEL_PASSWORD ? { sentinelPassword: c.REDIS_SENTINEL_PASSWORD } : {}) };
}

/** The URL a target's connections take their password and database from (for messages and for tools that need one). */
export function redisUrlOf(target: RedisTarget): string {
  return typeof target === 'string' ? target : target.url;
}

/**
 * The options of one connection to `target`: Beckon's defaults, then the connection's own, then the Sentinels
 * (when the target has them), so a blocking connection through Sentinel keeps its retry-forever options. Pure.
 * Redis connections fail fast instead of buffering commands while Redis is down: the accept path must notice at
 * once and fall back to the PostgreSQL outbox, not hang.
 */
export function redisOptions(target: RedisTarget, opts: RedisOptions = {}): RedisOptions {
  const base: RedisOptions = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(200 * times, 2000),
    lazyConnect: false,
    ...opts,
  };
  if (typeof target === 'string') return base;
  const retry = base.retryStrategy;
  return {
    ...base,
    sentinels: target.sentinels,
    name: target.name,
    ...(target.sentinelPassword ? { sentinelPassword: target.sentinelPassword } : {}),
    // Sentinels are asked again on every reconnect, at the connection's own pace; one that does not answer is skipped.
    sentinelRetryStrategy: retry ? (times) => retry(times) : () => null,
    // A primary demoted by a failover answers READONLY to writes: reconnect, and the Sentinels name the new one.
    reconnectOnError: (err) => err.message.startsWith('READONLY'),
  };
}

export function createRedis(target: RedisTarget, opts: RedisOptions = {}): Redis {
  const redis = new Redis(redisUrlOf(target), redisOptions(target, opts));
  redis.on('error', () => {}); // connection errors surface through failed commands and readiness checks
  return redis;
}
