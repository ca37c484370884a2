import Bull from 'bull';
import { Redis } from 'ioredis';
import { createRedis } from './redis.ts';

export interface CallbackJob { requestId: string }

export const CALLBACK_QUEUE = 'callbacks';

/** Bull job ids: one job per request and attempt number, so a second enqueue of the same step is a no-op. */
export function jobIdFor(requestId: string, attempt = 0): string {
  return attempt === 0 ? requestId : `${requestId}:${attempt}`;
}

export interface CallbackQueue {
  queue: Bull.Queue<CallbackJob>;
  /** Redis connection used for commands (not the blocking ones), exposed for readiness checks. */
  client: Redis;
  enqueue(requestId: string, opts?: { delayMs?: number; attempt?: number; timeoutMs?: number }): Promise<void>;
  ready(): boolean;
  close(): Promise<void>;
}

export function createCallbackQueue(redisUrl: string, prefix: string): CallbackQueue {
  // Job adds of concurrent requests share socket writes (see container.ts); the blocking and subscriber
  // connections below must not pipeline.
  const client = createRedis(redisUrl, { enableAutoPipelining: true });
  const subscriber = createRedis(redisUrl, { enableOfflineQueue: true, maxRetriesPerRequest: null, enableReadyCheck: false });
  const blocking: Redis[] = [];
  const queue = new Bull<CallbackJob>(CALLBACK_QUEUE, {
    prefix: `${prefix}:bull`,
    createClient: (type) => {
      if (type === 'client') return client;
      if (type === 'subscriber') return subscriber;
      // Blocking connection used by workers: must retry forever and queue while reconnecting.
      const b = createRedis(redisUrl, { enableOfflineQueue: true, maxRetriesPerRequest: null, enableReadyCheck: false });
      blocking.push(b);
      return b;
    },
    defaultJobOptions: { removeOnComplete: 1000, removeOnFail: 5000, attempts: 3, backoff: { type: 'exponential', delay: 1000 } },
  });
  queue.on('error', () => {});
  return {
    queue,
    client,
    ready: () => client.status === 'ready',
    async enqueue(requestId, opts = {}) {
      if (client.status !== 'ready') throw new Error('redis not ready');
      const add = queue.add({ requestId }, { jobId: jobIdFor(requestId, opts.attempt), delay: Math.max(0, opts.delayMs ?? 0) });
      await withTimeout(add, opts.timeoutMs ?? 1000);
    },
    async close() {
      await queue.close().catch(() => {});
      // Bull leaves connections it did not create itself open; these are ours.
      for (const r of [client, subscriber, ...blocking]) r.disconnect();
    },
  };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms); }),
  ]);
}
