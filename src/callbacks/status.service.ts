import type { Pool } from '../db/pool.ts';
import { AppError } from '../errors/app-error.ts';
import { findRequest, findRequestTokenHash, listAttemptViews } from './callback.repository.ts';
import type { AttemptView, CallbackRequest } from './callback.types.ts';
import { tokenMatches } from './status-token.ts';

export interface StatusView {
  id: string;
  status: string;
  reason: string | null;
  scheduledAt: string | null;
  createdAt: string;
  finishedAt: string | null;
  attempts: { n: number; outcome: string | null; cause: number | null; causeText: string | null; startedAt: string; answeredAt: string | null; endedAt: string | null }[];
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toStatusView(r: CallbackRequest, attempts: AttemptView[]): StatusView {
  return {
    id: r.id,
    status: r.status,
    reason: r.statusReason,
    scheduledAt: iso(r.status === 'scheduled' ? r.nextAttemptAt ?? r.scheduledAt : r.scheduledAt),
    createdAt: r.createdAt.toISOString(),
    finishedAt: iso(r.finishedAt),
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

export async function getStatus(pool: Pool, id: string, token: unknown): Promise<{ request: CallbackRequest; view: StatusView }> {
  await authorizeStatus(pool, id, token);
  const request = (await findRequest(pool, id))!;
  const attempts = await listAttemptViews(pool, id);
  return { request, view: toStatusView(request, attempts) };
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
