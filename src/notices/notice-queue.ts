import Bull from 'bull';
import type { Redis } from 'ioredis';
import { createRedis, type RedisTarget } from '../platform/redis.ts';
import { redisKeys } from '../platform/redis-keys.ts';
import { ignoreWorkerNameFailure } from '../platform/queue/worker-name.ts';
import { producerQueue } from '../platform/queue/producer-queue.ts';

/**
 * Mail leaves through its own Bull queue (`notices`), never from a web request: a slow or refusing SMTP server
 * delays mail, not pages. A job is a decided notice (its row holds what to say) or a forgotten-password mail
 * for an owner or an agent (only the address or login: the worker makes the link, so no live link ever sits in
 * Redis). Failed sends are retried
 * with exponential back-off: 8 tries, the last about 64 × `retryDelayMs` after the first (an hour and more by
 * default), which rides out an SMTP server's restart or a greylisting.
 */
export type NoticeJob = { noticeId: string } | { passwordReset: { email: string } } | { agentPasswordReset: { login: string } };

export const NOTICE_QUEUE = 'notices';
export const NOTICE_ATTEMPTS = 8;
export const NOTICE_RETRY_DELAY_MS = 30_000;

const jobOptions = (retryDelayMs: number): Bull.JobOptions => ({
  removeOnComplete: 1000, removeOnFail: 5000, attempts: NOTICE_ATTEMPTS, backoff: { type: 'exponential', delay: retryDelayMs },
});

export interface NoticeProducer {
  /** A decided notice; one job per notice (its id is the job id, so adding it twice is a no-op). */
  notice(noticeId: string): Promise<void>;
  passwordReset(email: string): Promise<void>;
  agentPasswordReset(login: string): Promise<void>;
  close(): Promise<void>;
}

function producerOn(queue: Bull.Queue<NoticeJob>): Omit<NoticeProducer, 'close'> {
  return {
    async notice(noticeId) { await queue.add({ noticeId }, { jobId: `notice:${noticeId}` }); },
    async passwordReset(email) { await queue.add({ passwordReset: { email } }); },
    async agentPasswordReset(login) { await queue.add({ agentPasswordReset: { login } }); },
  };
}

/** The web side: adds jobs over the given command connection only. */
export function createNoticeProducer(redis: Redis, prefix: string, retryDelayMs = NOTICE_RETRY_DELAY_MS): NoticeProducer {
  const queue = producerQueue<NoticeJob>(NOTICE_QUEUE, redis, prefix, jobOptions(retryDelayMs));
  return { ...producerOn(queue), close: async () => { await queue.close().catch(() => {}); } };
}

/** The worker side: owns its connections, adds and consumes. */
export function createNoticeConsumer(redisUrl: RedisTarget, prefix: string, retryDelayMs = NOTICE_RETRY_DELAY_MS): NoticeProducer & { queue: Bull.Queue<NoticeJob> } {
  const own: Redis[] = [];
  const mk = (blocking: boolean) => {
    const r = blocking ? createRedis(redisUrl, { enableOfflineQueue: true, maxRetriesPerRequest: null, enableReadyCheck: false }) : createRedis(redisUrl, { enableOfflineQueue: true });
    own.push(r);
    return r;
  };
  const queue = new Bull<NoticeJob>(NOTICE_QUEUE, { prefix: redisKeys(prefix).bull(), createClient: (type) => mk(type !== 'client'), defaultJobOptions: jobOptions(retryDelayMs) });
  queue.on('error', () => {});
  ignoreWorkerNameFailure(queue);
  return {
    queue,
    ...producerOn(queue),
    async close() {
      await queue.close().catch(() => {});
      for (const r of own) r.disconnect();
    },
  };
}
