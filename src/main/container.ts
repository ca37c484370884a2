import type { Config } from '../platform/config.ts';
import { createLogger, type Logger } from '../platform/logger.ts';
import { createPool, type Pool } from '../platform/db/pool.ts';
import { createCallbackQueue, type CallbackQueue } from '../platform/queue/callback-queue.ts';
import { createRedis, redisTarget } from '../platform/redis.ts';
import { EventBus } from '../platform/event-bus.ts';
import { agentCoverage } from '../agents/agent.repository.ts';
import { SubscriberCache } from '../subscribers/subscriber-cache.ts';
import type { Redis } from 'ioredis';

/**
 * The composition root: builds the shared parts every process needs, explicitly, once.
 * Process-specific parts (HTTP app, dialer) are built from this in src/main/web-app.ts and src/main/worker.ts.
 */
export interface Container {
  config: Config;
  log: Logger;
  pool: Pool;
  queue: CallbackQueue;
  /** General-purpose Redis connection (rate limits, sessions, pub). Fails fast when Redis is down. */
  redis: Redis;
  bus: EventBus;
  subscribers: SubscriberCache;
  close(): Promise<void>;
}

export function createContainer(config: Config, opts: { log?: Logger; poolSize?: number } = {}): Container {
  const log = opts.log ?? createLogger(config.LOG_LEVEL);
  const pool = createPool(config.DATABASE_URL, opts.poolSize ?? 20, { transactionPooling: config.DATABASE_TRANSACTION_POOLING });
  const queue = createCallbackQueue(redisTarget(config), config.REDIS_PREFIX);
  // Auto-pipelining: the commands of concurrent requests issued in one turn of the event loop leave in one
  // socket write (the accept path's rate limits and locks); never for blocking connections.
  const redis = createRedis(redisTarget(config), { enableAutoPipelining: true });
  const bus = new EventBus(redis, redisTarget(config), config.REDIS_PREFIX);
  const subscribers = new SubscriberCache(pool, agentCoverage);
  return {
    config, log, pool, queue, redis, bus, subscribers,
    async close() {
      bus.close();
      await queue.close();
      redis.disconnect();
      await pool.end().catch(() => {});
    },
  };
}
