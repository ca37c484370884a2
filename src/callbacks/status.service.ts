import type { Pool } from '../db/pool.ts';
import { AppError } from '../errors/app-error.ts';
import { findRequest, findRequestTokenHash, listAttemptViews } from './callback.repository.ts';
import type { AttemptView, CallbackRequest } from './callback.types.ts';
import { tokenMatches } from './status-token.ts';
import type { WaitEstimates } from '../reports/wait-estimate.ts';

export interface StatusView {
  id: string;
  status: string;
  reason: string | null;
  scheduledAt: string | null;
  createdAt: string;
  finishedAt: string | null;
  /** While queued: about how long until the phone rings, from the subscriber's recent waits; null when unknown. */
  estimatedWaitSec: number | null;
  attempts: { n: number; outcome: string | null; cause: number | null; causeText: string | null; startedAt: string; answeredAt: string | null; endedAt: string | null }[];
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/**
 * Seconds left of the typical wait (minutes) for a request queued since `createdAt`. Once the typical wait has
 * passed, "about a minute" rather than zero: the request is next, not late.
 */
export function remainingWaitSec(typicalMin: number | null, createdAt: Date, now: Date): number | null {
  if (typicalMin === null) return null;
  return Math.max(60, Math.round(typicalMin * 60 - (now.getTime() - createdAt.getTime()) / 1000));
}

export function toStatusView(r: CallbackRequest, attempts: AttemptView[], typicalWaitMin: number | null = null, now = new Date()): StatusView {
  return {
    id: r.id,
    status: r.status,
    reason: r.statusReason,
    scheduledAt: iso(r.status === 'scheduled' ? r.nextAttemptAt ?? r.scheduledAt : r.scheduledAt),
    createdAt: r.createdAt.toISOString(),
    finishedAt: iso(r.finishedAt),
    estimatedWaitSec: r.status === 'queued' && attempts.length === 0 ? remainingWaitSec(typicalWaitMin, r.createdAt, now) : null,
    attempts: attempts.map((a) => ({
      n: a.n, outcome: a.outcome, cause: a.cause, causeText: a.causeTxt,
      startedAt: a.startedAt.toISOString(), answeredAt: iso(a.answeredAt), endedAt: iso(a.endedAt),
    })),
  };
}

/** Same answer for "no such id" and "wrong token", so ids cannot be probed. */
export async function authorizeStatus(pool: Pool, id: string, token: unknown): Promise<void> {
  const hash = await findRequestTokenHash(pool, id);
  if (!hash || !tokenMatches(token, hash)) throw new AppError(404, 'callback_not_found', 'No call-back request with that id and token.');
}

export async function getStatus(pool: Pool, id: string, token: unknown, waits?: WaitEstimates): Promise<{ request: CallbackRequest; view: StatusView }> {
  await authorizeStatus(pool, id, token);
  const request = (await findRequest(pool, id))!;
  const attempts = await listAttemptViews(pool, id);
  const typical = request.status === 'queued' && attempts.length === 0 && waits ? await waits.forSubscriber(request.subscriberId) : null;
  return { request, view: toStatusView(request, attempts, typical) };
}

export const STATUS_TEXT: Record<string, string> = {
  queued: 'We will call you in a moment.',
  scheduled: 'We will call you at the time shown.',
  dialing: 'Calling you now…',
  connected: 'You are connected.',
  completed: 'The call took place. Thank you!',
  failed: 'We could not reach you.',
  expired: 'The request expired before we could reach you.',
  canceled: 'The request was canceled.',
};
