import type { Pool } from '../platform/db/pool.ts';
import type { Logger } from '../platform/logger.ts';
import { periodic } from '../platform/periodic.ts';
import type { RedisTarget } from '../platform/redis.ts';
import { createDrain } from './drain.ts';
import { createWebhookConsumer } from './delivery-queue.ts';
import { feedPass } from './event-feed.ts';
import type { RetryRules } from './retry-schedule.ts';
import { createSender, type Sender } from './webhook-sender.ts';
import { endpointsDue, pruneDeliveries, type WebhookEndpoint } from './webhook.repository.ts';

/** Days the delivery log keeps finished deliveries. */
export const DELIVERY_LOG_DAYS = 30;

/**
 * The worker's side of webhooks: a periodic pass turns new request history into events and deliveries and
 * queues a job for each endpoint that got one, or has a delivery due with nobody on it (the safety net for a
 * lost job); the `webhooks` queue's consumer delivers (drain.ts). An hourly pass keeps the delivery log to
 * DELIVERY_LOG_DAYS.
 */
export interface WebhookWorkerOptions {
  pool: Pool;
  redisUrl: RedisTarget;
  prefix: string;
  log: Logger;
  rules: RetryRules;
  timeoutMs: number;
  allowLoopback: boolean;
  intervalMs: number;
  concurrency?: number;
  /** Replaces the HTTP sender (tests resolving names their own way). */
  send?: Sender;
  /** An endpoint was disabled for failing the whole window: where its owner is told. */
  onDisabled?: (endpoint: WebhookEndpoint) => Promise<void> | void;
}

export interface WebhookWorker {
  /** One feed pass now; resolves with the number of endpoints it queued jobs for. */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

export function startWebhookWorker(o: WebhookWorkerOptions): WebhookWorker {
  const log = o.log.child({ component: 'webhooks' });
  const consumer = createWebhookConsumer(o.redisUrl, o.prefix);
  const drain = createDrain({
    pool: o.pool, log, rules: o.rules, timeoutMs: o.timeoutMs,
    send: o.send ?? createSender({ allowLoopback: o.allowLoopback, timeoutMs: o.timeoutMs }),
    later: consumer.kick,
    disabled: (endpoint) => o.onDisabled?.(endpoint),
  });
  consumer.queue.process(o.concurrency ?? 5, async (job) => ({ sent: await drain(job.data.endpointId) }))
    .catch((err: Error | undefined) => log.warn({ queue: 'webhooks', err: err?.message }, 'queue consumer stopped'));
  const recorded = new Map<string, number>();
  const feed = periodic({
    name: 'webhook-feed', intervalMs: o.intervalMs, log, idle: 0, firstDelayMs: 0,
    run: async () => {
      const endpoints = await feedPass(o.pool, recorded);
      for (const id of await endpointsDue(o.pool)) endpoints.add(id);
      for (const id of endpoints) await consumer.kick(id);
      return endpoints.size;
    },
  });
  const prune = periodic({
    name: 'webhook-log-prune', intervalMs: 3_600_000, log, idle: 0, firstDelayMs: 60_000,
    run: () => pruneDeliveries(o.pool, DELIVERY_LOG_DAYS),
  });
  return {
    runOnce: () => feed.runOnce(),
    async stop() {
      feed.stop();
      prune.stop();
      await consumer.close();
    },
  };
}
