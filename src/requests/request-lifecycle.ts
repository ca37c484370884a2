/**
 * The life of a call-back request: its statuses and the moves between them. Request rows are written only by
 * callback.repository.ts, and every status it writes follows this table: insertRequests, transitionRequest and
 * moveRequests check each move and raise IllegalRequestMove, before anything is written, for one not listed; the
 * claim statement (claimRequestsSql, lent to attempt.repository.ts) takes the statuses it claims from legalFrom.
 *
 *   (accepted)          -> queued | scheduled
 *   queued | scheduled  -> dialing (claimed) | scheduled (put off) | expired | failed | canceled (ended before a call)
 *   dialing             -> connected (bridged) | queued (agent-first: back in line before the visitor was dialed)
 *   dialing | connected -> scheduled (retry) | completed | failed | expired | canceled (the attempt ended)
 */

export const REQUEST_STATUSES = ['queued', 'scheduled', 'dialing', 'connected', 'completed', 'failed', 'expired', 'canceled'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/** Statuses a request is stored with when it is accepted: due now, or at the time the visitor chose. */
export const ENTRY_STATUSES: readonly RequestStatus[] = ['queued', 'scheduled'];

/** Waiting for a call: no attempt in flight. Only these may be claimed for an attempt or canceled by a person. */
export const WAITING_STATUSES: readonly RequestStatus[] = ['queued', 'scheduled'];

/** An attempt is in flight: the visitor or the callee is being rung (`dialing`), or both are bridged (`connected`). */
export const IN_CALL_STATUSES: readonly RequestStatus[] = ['dialing', 'connected'];

/** Not ended: waiting or in a call (one open request per number and subscriber). */
export const OPEN_STATUSES: readonly RequestStatus[] = [...WAITING_STATUSES, ...IN_CALL_STATUSES];

/** Ended for good: nothing moves a request out of these (the table has no move from them). */
export const FINAL_STATUSES: ReadonlySet<RequestStatus> = new Set(['completed', 'failed', 'expired', 'canceled']);

/**
 * Every legal move, by the status moved from. A move not listed is illegal. The reasons are the writers that
 * make each move; a new writer either fits one of them or adds its line here.
 */
const MOVES: { readonly [From in RequestStatus]: readonly RequestStatus[] } = {
  queued: [
    'dialing', //   claimed for an attempt (one claim wins; a redelivered job or another worker finds it dialing)
    'scheduled', // nobody free to take it and the subscriber reschedules rather than falls back to a phone
    'expired', //   too old to call back when its turn came
    'failed', //    not dialed: subscriber suspended, nobody to connect to, destination refused, call ceiling reached
    'canceled', //  by the visitor or the subscriber, or refused at dial time (the number is on a do-not-call list)
  ],
  scheduled: [
    'dialing', 'expired', 'failed', 'canceled', // as from queued
    'scheduled', // put off again (nobody free again): the status stays, the time of the next try changes
  ],
  dialing: [
    'connected', // both parties bridged
    'queued', //    agent-first: the agent did not take the call before the visitor was dialed; next agent at once
    'scheduled', // the attempt ended and the retry policy tries again later
    'completed', // the attempt ended and the retry policy is done (the visitor was put through)
    'failed', //    the attempt ended with no retry left, refused at dial time, or lost with its worker
    'expired', //   the attempt ended and a retry would come too late
    'canceled', //  the visitor pressed the opt-out key during the call
  ],
  connected: [
    // The call was bridged and then ended: the retry policy decides as from dialing. Never back in line: the
    // visitor was reached.
    'scheduled', 'completed', 'failed', 'expired', 'canceled',
  ],
  completed: [],
  failed: [],
  expired: [],
  canceled: [],
};

/** A write that would move a request along a move the table does not list: a bug in the caller, nothing is written. */
export class IllegalRequestMove extends Error {
  override readonly name = 'IllegalRequestMove';
  constructor(readonly from: string | null, readonly to: string) {
    super(`illegal request move: ${from ?? '(new)'} -> ${to}`);
  }
}

function isStatus(s: string): s is RequestStatus {
  return (REQUEST_STATUSES as readonly string[]).includes(s);
}

/** Whether a request in `from` may move to `to`. */
export function canMove(from: string, to: string): boolean {
  return isStatus(from) && isStatus(to) && MOVES[from].includes(to);
}

/** Every status a request may move to `to` from, in table order. */
export function legalFrom(to: RequestStatus): RequestStatus[] {
  return REQUEST_STATUSES.filter((from) => MOVES[from].includes(to));
}

/** Every status a request in `from` may move to. */
export function legalTo(from: RequestStatus): readonly RequestStatus[] {
  return MOVES[from];
}

/**
 * Raises IllegalRequestMove unless a request in any of `from` may move to `to`. A write conditional on the
 * request being in one of `from` (the repository's UPDATE ... WHERE status = ANY(from)) then makes only legal
 * moves whatever the status it finds. An empty `from` would never move anything: also raised.
 */
export function checkMove(from: readonly string[], to: string): void {
  if (from.length === 0) throw new IllegalRequestMove('(no status)', to);
  for (const f of from) if (!canMove(f, to)) throw new IllegalRequestMove(f, to);
}

/** Raises IllegalRequestMove unless `status` is one a new request may be stored with. */
export function checkEntry(status: string): void {
  if (!(ENTRY_STATUSES as readonly string[]).includes(status)) throw new IllegalRequestMove(null, status);
}

/** A list of statuses as an SQL literal list, for statements that spell the list out: `'queued', 'scheduled'`. */
export function sqlStatusList(statuses: Iterable<RequestStatus>): string {
  return [...statuses].map((s) => `'${s}'`).join(', ');
}
