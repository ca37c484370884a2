import type { Pool } from '../platform/db/pool.ts';
import { CallbackNotFoundError, ConflictError } from '../platform/errors.ts';
import type { EventBus } from '../platform/event-bus.ts';
import type { CallbackQueue } from '../platform/queue/callback-queue.ts';
import { jobIdFor } from '../platform/queue/callback-queue.ts';
import { findRequest, transitionRequest } from './callback.repository.ts';
import { IN_CALL_STATUSES, WAITING_STATUSES } from './request-lifecycle.ts';

export type CancelledBy = 'visitor' | 'subscriber';

/**
 * Cancels a pending request (queued or scheduled). A request already being dialed is not cancelled from
 * here: its call is under way in a worker, and the visitor can simply not answer or hang up, which ends
 * it with its true outcome. That answer is a 409 `call_in_progress`.
 *
 * The status change is the cancellation: a job still in Bull finds the request `canceled` and does
 * nothing (the dialer only starts from queued/scheduled, in one guarded update), so removing the
 * job is housekeeping, done when a queue is given.
 *
 * Authorisation is the caller's: the visitor's route checks the status token, the portal its session;
 * `subscriberId` makes a subscriber's cancel of another tenant's request look like "not found".
 */
export async function cancelRequest(
  pool: Pool, bus: EventBus, requestId: string, by: CancelledBy, subscriberId?: string,
  opts: { queue?: CallbackQueue } = {},
): Promise<{ id: string; status: 'canceled' }> {
  const request = await findRequest(pool, requestId);
  if (!request || (by === 'subscriber' && request.subscriberId !== subscriberId)) {
    throw new CallbackNotFoundError();
  }
  const moved = await transitionRequest(pool, requestId, WAITING_STATUSES, 'canceled', `canceled by the ${by}`, { nextAttemptAt: null });
  if (!moved.ok) {
    const now = await findRequest(pool, requestId);
    if (now?.status === 'canceled') return { id: requestId, status: 'canceled' };
    if (now && IN_CALL_STATUSES.includes(now.status)) {
      throw new ConflictError('call_in_progress', 'We are calling you right now, so the request can no longer be canceled. You can simply decline or hang up.');
    }
    throw new ConflictError('already_finished', `This request has already ended (${now?.status}).`);
  }
  void bus.publish({ type: 'request.status', requestId, status: 'canceled', reason: `canceled by the ${by}`, at: new Date().toISOString() });
  if (opts.queue) {
    try {
      const job = await opts.queue.queue.getJob(jobIdFor(requestId, request.attemptCount));
      if (job && ['delayed', 'waiting', 'paused'].includes(await job.getState())) await job.remove();
    } catch { /* Redis down or the job just started: it will find the request canceled */ }
  }
  return { id: requestId, status: 'canceled' };
}
