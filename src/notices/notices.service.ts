import type { Pool } from '../platform/db/pool.ts';
import { withTransaction } from '../platform/db/pool.ts';
import type { Logger } from '../platform/logger.ts';
import { periodic } from '../platform/periodic.ts';
import type { RedisTarget } from '../platform/redis.ts';
import { createEmailTemplates } from './email-templates.ts';
import { createMailer, type Mailer } from './mailer.ts';
import { decideDigests, decideRequestNotices, markEnqueued, markFailed, unenqueuedNotices } from './notice.repository.ts';
import { createNoticeConsumer, NOTICE_ATTEMPTS, NOTICE_RETRY_DELAY_MS } from './notice-queue.ts';
import { createNoticeSender } from './notice-sender.ts';
import { unsubscribeKey } from './unsubscribe-token.ts';

/** How often the worker decides notices: new and missed requests, due digests, jobs Redis did not take. */
export const NOTICE_PASS_MS = 15_000;
/** How far each pass reads back before where the last stopped (requests committed after their timestamps). */
const OVERLAP_SEC = 300;

export interface NoticesOptions {
  pool: Pool;
  log: Logger;
  redisUrl: RedisTarget;
  prefix: string;
  smtpUrl: string;
  from: string;
  digestHour: number;
  publicUrl: () => string;
  secret: string;
  intervalMs?: number;
  retryDelayMs?: number;
  /** The clock digests are decided by (tests move it). */
  now?: () => Date;
}

export interface NoticesHandle {
  /** One pass now: the notices it decided and the jobs it queued. */
  runOnce(): Promise<{ decided: number; queued: number }>;
  stop(): Promise<void>;
}

/**
 * The worker's side of notices: a periodic pass that decides them and queues their jobs, and the `notices` queue's
 * consumer that sends them. Deciding is idempotent (one row per owner, kind and subject), so every worker may
 * run it; a row's job is queued once Redis takes it, and queued again by a later pass until then.
 */
export function startNotices(o: NoticesOptions): NoticesHandle {
  const log = o.log.child({ component: 'notices' });
  const queue = createNoticeConsumer(o.redisUrl, o.prefix, o.retryDelayMs ?? NOTICE_RETRY_DELAY_MS);
  const mailer: Mailer = createMailer(o.smtpUrl, o.from);
  const sender = createNoticeSender({ pool: o.pool, mailer, templates: createEmailTemplates(), log, publicUrl: o.publicUrl, unsubscribeKey: unsubscribeKey(o.secret) });
  queue.queue.process(5, async (job) => ({ result: await sender.process(job.data) }))
    .catch((err: Error) => log.warn({ err: err.message }, 'notice queue consumer stopped'));
  queue.queue.on('failed', (job, err) => {
    const final = job.attemptsMade >= (job.opts.attempts ?? NOTICE_ATTEMPTS);
    log.warn({ jobId: job.id, attempt: job.attemptsMade, final, err: err.message }, final ? 'mail not sent; giving up' : 'mail not sent; retrying');
    if ('noticeId' in job.data) void markFailed(o.pool, job.data.noticeId, err.message, final).catch(() => {});
  });

  async function pass(): Promise<{ decided: number; queued: number }> {
    const decided = [
      ...await withTransaction(o.pool, (tx) => decideRequestNotices(tx, OVERLAP_SEC)),
      ...await decideDigests(o.pool, (o.now ?? (() => new Date()))(), o.digestHour),
    ];
    const due = await unenqueuedNotices(o.pool);
    const queued: string[] = [];
    for (const id of due) {
      try {
        await queue.notice(id);
        queued.push(id);
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'notice not queued; the next pass retries');
        break;
      }
    }
    await markEnqueued(o.pool, queued);
    return { decided: decided.length, queued: queued.length };
  }

  const loop = periodic({ name: 'notices', intervalMs: o.intervalMs ?? NOTICE_PASS_MS, run: pass, log, idle: { decided: 0, queued: 0 }, firstDelayMs: 1000 });
  return {
    runOnce: () => loop.runOnce(),
    async stop() {
      loop.stop();
      await queue.close();
      mailer.close();
    },
  };
}
