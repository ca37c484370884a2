import Bull from 'bull';
import type { Redis } from 'ioredis';
import { createRedis, type RedisTarget } from '../platform/redis.ts';
import { redisKeys } from '../platform/redis-keys.ts';
import { ignoreWorkerNameFailure } from '../platform/queue/worker-name.ts';
import { producerQueue } from '../platform/queue/producer-queue.ts';

/**
 * The `webhooks` Bull queue. A job names an endpoint, not a delivery: "deliver what is due to this endpoint".
 * Jobs may repeat (a job per new event, a delayed one per retry, the feed's safety net); the endpoint's lease
 * makes extra ones end at once (drain.ts). The producer side shares the web process's command connection; the
 * worker's consumer owns its connections.
 */
export interface WebhookJob { endpointId: string }
export const WEBHOOK_QUEUE = 'webhooks';

const JOB_OPTIONS: Bull.JobOptions = { removeOnComplete: 100, removeOnFail: 1000, attempts: 1 };

export interface WebhookKicks {
  /** Deliver to this endpoint now (or at `atMs`). */
  kick(endpointId: string, atMs?: number): Promise<void>;
}

const kicker = (queue: Bull.Queue<WebhookJob>): WebhookKicks['kick'] => async (endpointId, atMs) => {
  await queue.add({ endpointId }, { ...JOB_OPTIONS, delay: Math.max(0, (atMs ?? 0) - Date.now()) });
};

export function createWebhookProducer(redis: Redis, prefix: string): WebhookKicks {
  return { kick: kicker(producerQueue<WebhookJob>(WEBHOOK_QUEUE, redis, prefix)) };
}

export function createWebhookConsumer(redisUrl: RedisTarget, prefix: string): WebhookKicks & { queue: Bull.Queue<WebhookJob>; close(): Promise<void> } {
  const own: Redis[] = [];
  const queue = new Bull<WebhookJob>(WEBHOOK_QUEUE, {
    prefix: redisKeys(prefix).bull(),
    createClient: (type) => {
      const r = type === 'client'
        ? createRedis(redisUrl, { enableOfflineQueue: true })
        : createRedis(redisUrl, { enableOfflineQueue: true, maxRetriesPerRequest: null, enableReadyCheck: false });
      own.push(r);
      return r;
    },
  });
  queue.on('error', () => {});
  ignoreWorkerNameFailure(queue);
  return {
    queue,
    kick: kicker(queue),
    async close() {
      // Closed before its connections were ready, Bull's worker setup would reject unhandled: let it get ready first.
      await queue.isReady().catch(() => {});
      await queue.close().catch(() => {});
      for (const r of own) r.disconnect();
    },
  };
}
