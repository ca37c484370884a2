import type { Logger } from '../platform/logger.ts';
import type { Pool } from '../platform/db/pool.ts';
import type { CallbackQueue } from '../platform/queue/callback-queue.ts';
import { periodic } from '../platform/periodic.ts';
import { listUnenqueued, markEnqueued } from './callback.repository.ts';

/**
 * Moves requests stored without a queue job (the outbox: accepted while Redis was down, or a retry whose job was
 * not added yet) onto the queue once Redis answers. Re-adding a job that exists is a no-op in Bull (same job id),
 * and a job added from a listing that has gone stale since is refused at the claim (it names an earlier step, or
 * fires before the step is due: src/calls/flow/job-step.ts), so running this in every process is safe.
 */
export function startOutboxRelay(deps: { pool: Pool; queue: CallbackQueue; log: Logger; intervalMs: number }): { stop(): void; runOnce(): Promise<number> } {
  return periodic({
    name: 'outbox relay', intervalMs: deps.intervalMs, log: deps.log, idle: 0,
    failMessage: 'outbox relay pass failed; will retry',
    // Nothing can move while the queue's Redis is away.
    skip: () => !deps.queue.ready(),
    run: () => relayOutbox(deps),
  });
}

/** Puts every request waiting without a queue job on the queue, 200 at a time; returns how many moved. */
async function relayOutbox(deps: { pool: Pool; queue: CallbackQueue; log: Logger }): Promise<number> {
  let moved = 0;
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
  // Retries pass through the outbox for a moment with Redis up: the line says what moved, not why.
  if (moved) deps.log.info({ moved }, 'outbox relay put requests waiting without a queue job on the queue');
  return moved;
}
