import type { Queryable } from '../platform/db/pool.ts';
import type { Logger } from '../platform/logger.ts';
import { periodic, type Periodic } from '../platform/periodic.ts';
import { transitionRequest } from '../requests/callback.repository.ts';
import { listExpiredTicketRequests } from './ticket.repository.ts';

/** The reason an unredeemed web call ends with: its visitor never called within the ticket's lifetime. */
export const TICKET_EXPIRED = 'ticket_expired';

/**
 * Ends `expired` every web call whose ticket expired unredeemed (the browser never called, or its INVITE never
 * reached us). Only `queued` requests move: a redeemed one has moved on, and a request another pass or a
 * redemption attempt already ended is left alone by transitionRequest. Returns how many it ended.
 */
export async function expireUnredeemed(db: Queryable, log: Logger, limit = 500): Promise<number> {
  let ended = 0;
  for (const id of await listExpiredTicketRequests(db, limit)) {
    if ((await transitionRequest(db, id, ['queued'], 'expired', TICKET_EXPIRED)).ok) ended++;
  }
  if (ended) log.info({ ended }, 'web calls whose ticket expired unredeemed ended expired');
  return ended;
}

/** The sweep, every `intervalMs` in the worker. */
export function startTicketExpiry(d: { db: Queryable; log: Logger; intervalMs: number }): Periodic<number> {
  return periodic({ name: 'webcall-ticket-expiry', intervalMs: d.intervalMs, run: () => expireUnredeemed(d.db, d.log), log: d.log, idle: 0, failMessage: 'web call ticket sweep failed' });
}
