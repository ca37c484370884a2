import type { Logger } from '../logger.ts';
import type { Pool } from '../db/pool.ts';
import type { CallbackQueue } from '../queue/callback-queue.ts';
import { jobIdFor } from '../queue/callback-queue.ts';
import { listOverdueQueued } from '../callbacks/callback.repository.ts';

/**
 * Scheduled calls live as delayed Bull jobs, and Redis can lose them (flushed, failed over without
 * persistence, restored from an old snapshot). PostgreSQL is the truth: a request that is queued or
 * scheduled, was handed to the queue (the outbox covers those that never were), and is overdue by more than
 * `graceMs` with no live job is put back. Bull deduplicates by job id (request + attempt number), so a pass
 * racing another worker's, or a job that shows up late, never makes two jobs of one step.
 */
export interface ScheduleRecoveryDeps { pool: Pool; queue: CallbackQueue; log: Logger; intervalMs: number; graceMs: number }

const LIVE_JOB_STATES = new Set(['waiting', 'delayed', 'active', 'paused']);

export async function recoverScheduled(d: Omit<ScheduleRecoveryDeps, 'intervalMs'>): Promise<number> {
  if (!d.queue.ready()) return 0;
  const rows = await listOverdueQueued(d.pool, d.graceMs, 500);
  let restored = 0;
  for (const r of rows) {
    const job = await d.queue.queue.getJob(jobIdFor(r.id, r.attemptCount));
    if (job) {
      const state = await job.getState();
      if (LIVE_JOB_STATES.has(state)) continue;
      // Completed or failed while the request is still pending (e.g. it ran while the worker was draining):
      // the old job must go, or Bull would treat the new one as a duplicate.
      await job.remove().catch(() => {});
    }
    await d.queue.enqueue(r.id, { attempt: r.attemptCount });
    restored++;
  }
  if (restored) {
    d.log.warn({ restored }, 'scheduled requests whose queue job was missing were enqueued again');
  }
  return restored;
}

export function startScheduleRecovery(d: ScheduleRecoveryDeps): { stop(): void; runOnce(): Promise<number> } {
  let running = false;
  const runOnce = async (): Promise<number> => {
    if (running) return 0;
    running = true;
    try {
      return await recoverScheduled(d);
    } catch (err) {
      d.log.warn({ err: (err as Error).message }, 'schedule recovery pass failed; will retry');
      return 0;
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void runOnce(), d.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer), runOnce };
}
