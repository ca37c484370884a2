import type { Logger } from '../logger.ts';
import type { Pool } from '../db/pool.ts';
import type { CallbackQueue } from '../queue/callback-queue.ts';
import { listUnenqueued, markEnqueued } from './callback.repository.ts';

/**
 * Moves requests that were committed while Redis was down onto the queue once it is back.
 * Re-adding a job that exists is a no-op in Bull (same job id), so running this in every process is safe.
 */
export function startOutboxRelay(deps: { pool: Pool; queue: CallbackQueue; log: Logger; intervalMs: number }): { stop(): void; runOnce(): Promise<number> } {
  let running = false;
  async function runOnce(): Promise<number> {
    if (running || !deps.queue.ready()) return 0;
    running = true;
    let moved = 0;
    try {
      for (;;) {
        const batch = await listUnenqueued(deps.pool, 200);
        if (batch.length === 0) break;
        const done: string[] = [];
        for (const r of batch) {
          const delayMs = r.nextAttemptAt ? r.nextAttemptAt.getTime() - Date.now() : 0;
          // The job id carries the attempt number: a retry is a new job even if the first one is still kept as done.
          await deps.queue.enqueue(r.id, { delayMs, attempt: r.attemptCount });
          done.push(r.id);
        }
        await markEnqueued(deps.pool, done);
        moved += done.length;
        if (batch.length < 200) break;
      }
      if (moved) deps.log.info({ moved }, 'outbox relay enqueued requests accepted while Redis was down');
    } catch (err) {
      deps.log.warn({ err: (err as Error).message }, 'outbox relay pass failed; will retry');
    } finally {
      running = false;
    }
    return moved;
  }
  const timer = setInterval(() => void runOnce(), deps.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer), runOnce };
}
