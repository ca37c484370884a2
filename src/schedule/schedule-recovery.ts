import type { Logger } from '../platform/logger.ts';
import type { Pool } from '../platform/db/pool.ts';
import type { CallbackQueue } from '../platform/queue/callback-queue.ts';
import { periodic } from '../platform/periodic.ts';
import { jobIdFor } from '../platform/queue/callback-queue.ts';
import { listOverdueQueued, type OverdueRequest } from '../requests/callback.repository.ts';

/**
 * Scheduled calls live as delayed Bull jobs, and Redis can lose them (flushed, failed over without
 * persistence, restored from an old snapshot). PostgreSQL is the truth: a request that is queued or
 * scheduled, was handed to the queue (the outbox covers those that never were), and is overdue by more than
 * `graceMs` with no live job is put back. Bull deduplicates by job id (request + attempt number), so a pass
 * racing another worker's, or a job that shows up late, never makes two jobs of one step.
 */
export interface ScheduleRecoveryDeps { pool: Pool; queue: CallbackQueue; log: Logger; intervalMs: number; graceMs: number }

const LIVE_JOB_STATES = new Set(['waiting', 'delayed', 'active', 'paused']);

/** Rows read per page, and job lookups in flight at once. */
const PAGE = 500;
const CONCURRENCY = 50;

/** Puts back the job of one overdue request if it has none live; true when it did. */
async function restoreOne(d: Pick<ScheduleRecoveryDeps, 'queue'>, r: OverdueRequest): Promise<boolean> {
  const job = await d.queue.queue.getJob(jobIdFor(r.id, r.attemptCount));
  if (job) {
    const state = await job.getState();
    if (LIVE_JOB_STATES.has(state)) return false;
    // Completed or failed while the request is still pending (e.g. it ran while the worker was draining):
    // the old job must go, or Bull would treat the new one as a duplicate.
    await job.remove().catch(() => {});
  }
  await d.queue.enqueue(r.id, { attempt: r.attemptCount });
  return true;
}

/**
 * One pass over every overdue request, page by page (keyset, so requests whose jobs are live are passed, not
 * read again), `CONCURRENCY` job lookups at a time: thousands of jobs lost to an evicting or emptied Redis are
 * back within one pass, not a page per interval. `budgetMs` bounds a pass; the next one goes on.
 */
export async function recoverScheduled(d: Omit<ScheduleRecoveryDeps, 'intervalMs'> & { budgetMs?: number }): Promise<number> {
  if (!d.queue.ready()) return 0;
  const deadline = Date.now() + (d.budgetMs ?? 30_000);
  let restored = 0;
  let after: OverdueRequest | undefined;
  for (;;) {
    const rows = await listOverdueQueued(d.pool, d.graceMs, PAGE, after);
    for (let i = 0; i < rows.length; i += CONCURRENCY) {
      const done = await Promise.all(rows.slice(i, i + CONCURRENCY).map((r) => restoreOne(d, r)));
      restored += done.filter(Boolean).length;
    }
    after = rows.at(-1);
    if (rows.length < PAGE || Date.now() > deadline || !d.queue.ready()) break;
  }
  if (restored) {
    d.log.warn({ restored }, 'scheduled requests whose queue job was missing were enqueued again');
  }
  return restored;
}

export function startScheduleRecovery(d: ScheduleRecoveryDeps): { stop(): void; runOnce(): Promise<number> } {
  return periodic({
    name: 'schedule recovery', intervalMs: d.intervalMs, log: d.log, idle: 0,
    failMessage: 'schedule recovery pass failed; will retry',
    run: () => recoverScheduled(d),
  });
}
