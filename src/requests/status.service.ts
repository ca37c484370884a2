import type { Pool } from '../platform/db/pool.ts';
import { CallbackNotFoundError } from '../platform/errors.ts';
import { findRequest, findRequestTokenHash, isRequestCallHeld, listAttemptViews } from './callback.repository.ts';
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
  /** What is happening right now, in the visitor's terms (see stageOf). */
  stage: Stage;
  attempts: { n: number; outcome: string | null; cause: number | null; causeText: string | null; startedAt: string; answeredAt: string | null; endedAt: string | null }[];
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/**
 * The visitor's view of a request: `finding` while an agent is being offered the call or rung (agent-first: the
 * visitor's phone is not ringing yet), `calling` while the visitor's phone rings, `connecting` once the visitor
 * answered and the other side is being rung, `connected` while bridged, `on_hold` while the agent has put the visitor
 * on hold (music to the visitor) or is transferring the call; otherwise the request's status.
 */
export type Stage = 'queued' | 'scheduled' | 'finding' | 'calling' | 'connecting' | 'connected' | 'on_hold' | 'completed' | 'failed' | 'expired' | 'canceled';

/** Pure: the stage from the request's status, the state of its attempt in flight, if any, and whether the agent holds the visitor. */
export function stageOf(status: string, attemptState: string | null | undefined, held = false): Stage {
  // While the agent transfers the call the visitor hears music on hold too.
  if ((status === 'connected' || status === 'dialing') && ((held && attemptState === 'connected') || attemptState === 'transferring')) return 'on_hold';
  if (status !== 'dialing') return status as Stage;
  switch (attemptState) {
    case 'offered': case 'agent_ringing': return 'finding';
    case 'visitor_confirming': case 'callee_ringing': case 'callee_whisper': return 'connecting';
    case 'connected': return 'connected';
    default: return 'calling';
  }
}

/**
 * Seconds left of the typical wait (minutes) for a request queued since `createdAt`. Once the typical wait has
 * passed, "about a minute" rather than zero: the request is next, not late.
 */
export function remainingWaitSec(typicalMin: number | null, createdAt: Date, now: Date): number | null {
  if (typicalMin === null) return null;
  return Math.max(60, Math.round(typicalMin * 60 - (now.getTime() - createdAt.getTime()) / 1000));
}

export function toStatusView(r: CallbackRequest, attempts: AttemptView[], typicalWaitMin: number | null = null, now = new Date(), held = false): StatusView {
  return {
    id: r.id,
    status: r.status,
    reason: r.statusReason,
    scheduledAt: iso(r.status === 'scheduled' ? r.nextAttemptAt ?? r.scheduledAt : r.scheduledAt),
    createdAt: r.createdAt.toISOString(),
    finishedAt: iso(r.finishedAt),
    estimatedWaitSec: r.status === 'queued' && attempts.length === 0 ? remainingWaitSec(typicalWaitMin, r.createdAt, now) : null,
    stage: stageOf(r.status, attempts.findLast((a) => !a.endedAt)?.state, held),
    attempts: attempts.map((a) => ({
      n: a.n, outcome: a.outcome, cause: a.cause, causeText: a.causeTxt,
      startedAt: a.startedAt.toISOString(), answeredAt: iso(a.answeredAt), endedAt: iso(a.endedAt),
    })),
  };
}

/** Same answer for "no such id" and "wrong token", so ids cannot be probed. */
export async function authorizeStatus(pool: Pool, id: string, token: unknown): Promise<void> {
  const hash = await findRequestTokenHash(pool, id);
  if (!hash || !tokenMatches(token, hash)) throw new CallbackNotFoundError('id and token');
}

export async function getStatus(pool: Pool, id: string, token: unknown, waits?: WaitEstimates): Promise<{ request: CallbackRequest; view: StatusView }> {
  await authorizeStatus(pool, id, token);
  const request = (await findRequest(pool, id))!;
  const attempts = await listAttemptViews(pool, id);
  const typical = request.status === 'queued' && attempts.length === 0 && waits ? await waits.forSubscriber(request.subscriberId) : null;
  // Only a bridged call can be on hold: the agents table is asked only then.
  const live = attempts.findLast((a) => !a.endedAt)?.state === 'connected';
  const held = live && await isRequestCallHeld(pool, id);
  return { request, view: toStatusView(request, attempts, typical, new Date(), held) };
}

/** Headline and sentence per stage, as the status page shows them (public/callback-status.js has the same words). */
export const STAGE_LABEL: Record<Stage, string> = {
  queued: 'Waiting', scheduled: 'Scheduled', finding: 'Finding someone', calling: 'Calling you', connecting: 'Connecting',
  connected: 'Connected', on_hold: 'On hold', completed: 'Completed', failed: 'Not reached', expired: 'Expired', canceled: 'Canceled',
};

export const STATUS_TEXT: Record<Stage, string> = {
  queued: 'We will call you in a moment.',
  scheduled: 'We will call you at the time shown.',
  finding: 'Finding someone to take your call…',
  calling: 'Calling you now…',
  connecting: 'You answered. Connecting you…',
  connected: 'Connected. You are talking now.',
  on_hold: 'You are on hold. Please stay on the line.',
  completed: 'The call took place. Thank you!',
  failed: 'We could not reach you.',
  expired: 'The request expired before we could reach you.',
  canceled: 'The request was canceled.',
};
