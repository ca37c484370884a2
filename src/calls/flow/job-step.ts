/**
 * Whether a queue job may dial its request now (pure). A job is for one step of the request (its attempt count
 * when the job was made; src/platform/queue/callback-queue.ts's jobStep), and PostgreSQL's next_attempt_at is when that
 * step is due (the retry policy's back-off moved into business hours, or the visitor's chosen time).
 * - `stale`: the request has moved on to a later step (a stalled job Bull redelivered after a worker died, a
 *   pruned job id added again from an outdated listing): dropped, the job of the current step does the work.
 * - `early`: the step is not due yet: the job is put back for the due time.
 * A job that names no step (agent wake-ups) is only held to the due time.
 */
export const EARLY_TOLERANCE_MS = 250;

export type JobFit = { fit: 'due' } | { fit: 'stale' } | { fit: 'early'; dueAt: Date };

export function jobFit(request: { attemptCount: number; nextAttemptAt: Date | null }, step: { attempt: number | null }, now: number): JobFit {
  if (step.attempt !== null && step.attempt !== request.attemptCount) return { fit: 'stale' };
  if (request.nextAttemptAt && request.nextAttemptAt.getTime() > now + EARLY_TOLERANCE_MS) return { fit: 'early', dueAt: request.nextAttemptAt };
  return { fit: 'due' };
}
