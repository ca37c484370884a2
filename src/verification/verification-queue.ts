import Bull from 'bull';
import type { Redis } from 'ioredis';
import { createRedis, type RedisTarget } from '../platform/redis.ts';
import { redisKeys } from '../platform/redis-keys.ts';
import { ignoreWorkerNameFailure } from '../platform/queue/worker-name.ts';
import { producerQueue } from '../platform/queue/producer-queue.ts';

export interface VerificationJob { verificationId: string }

export const VERIFICATION_QUEUE = 'verifications';

/**
 * Verification calls go through their own Bull queue: the web process has no ARI connection, and these calls
 * must never wait behind (or be counted with) visitors' call-backs.
 * The producer side shares the given command connection; the consumer side (worker) owns its connections.
 */
export function createVerificationProducer(redis: Redis, prefix: string): Bull.Queue<VerificationJob> {
  return producerQueue<VerificationJob>(VERIFICATION_QUEUE, redis, prefix, { removeOnComplete: 1000, removeOnFail: 1000, attempts: 1 });
}

export function createVerificationConsumer(redisUrl: RedisTarget, prefix: string): { queue: Bull.Queue<VerificationJob>; close(): Promise<void> } {
  const own: Redis[] = [];
  const mk = (blocking: boolean) => {
    const r = blocking ? createRedis(redisUrl, { enableOfflineQueue: true, maxRetriesPerRequest: null, enableReadyCheck: false }) : createRedis(redisUrl, { enableOfflineQueue: true });
    own.push(r);
    return r;
  };
  const queue = new Bull<VerificationJob>(VERIFICATION_QUEUE, {
    prefix: redisKeys(prefix).bull(),
    createClient: (type) => mk(type !== 'client'),
    defaultJobOptions: { removeOnComplete: 1000, removeOnFail: 1000, attempts: 1 },
  });
  queue.on('error', () => {});
  ignoreWorkerNameFailure(queue);
  return {
    queue,
    async close() {
      await queue.close().catch(() => {});
      for (const r of own) r.disconnect();
    },
  };
}
