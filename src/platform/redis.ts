import { Redis, type RedisOptions } from 'ioredis';

/**
 * Redis connections fail fast instead of buffering commands while Redis is down: the accept path must
 * notice at once and fall back to the PostgreSQL outbox, not hang.
 */
export function createRedis(url: string, opts: RedisOptions = {}): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(200 * times, 2000),
    lazyConnect: false,
    ...opts,
  });
  redis.on('error', () => {}); // connection errors surface through failed commands and readiness checks
  return redis;
}
