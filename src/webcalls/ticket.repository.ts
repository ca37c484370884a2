import type { Queryable } from '../platform/db/pool.ts';
import { looksLikeTicket, ticketHash } from './ticket.ts';

// Owner of webcall_tickets: no other module writes it.

export interface NewTicketRow {
  hash: Buffer;
  requestId: string;
  subscriberId: string;
  departmentId: string | null;
  visitorId: string;
  ttlSec: number;
}

/** Stores a ticket's hash; answers when it expires (the database's clock, which redemption compares with). */
export async function insertTicket(db: Queryable, t: NewTicketRow): Promise<Date> {
  const { rows } = await db.query(
    `INSERT INTO webcall_tickets (token_hash, request_id, subscriber_id, department_id, visitor_id, expires_at)
     VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6)) RETURNING expires_at`,
    [t.hash, t.requestId, t.subscriberId, t.departmentId, t.visitorId, t.ttlSec]);
  return rows[0].expires_at;
}

/** What a redeemed ticket was issued for: the call's request, subscriber, department and visitor. */
export interface RedeemedTicket { requestId: string; subscriberId: string; departmentId: string | null; visitorId: string }

/** Why a ticket was refused: not a ticket's shape, never issued, already used, or past its time. */
export type TicketRefusal = 'malformed' | 'unknown' | 'reused' | 'expired';

export type Redemption = { ok: true; ticket: RedeemedTicket } | { ok: false; reason: TicketRefusal; requestId: string | null };

/**
 * Redeems a ticket: one statement marks it used only if it was unused and unexpired, so of two workers (or two
 * INVITEs) carrying the same ticket exactly one gets it. A refused ticket is looked up once more only to name
 * the reason (and the request of an expired one, which the caller ends).
 */
export async function redeemTicket(db: Queryable, ticket: unknown): Promise<Redemption> {
  if (!looksLikeTicket(ticket)) return { ok: false, reason: 'malformed', requestId: null };
  const hash = ticketHash(ticket);
  const { rows } = await db.query(
    `UPDATE webcall_tickets SET redeemed_at = now()
      WHERE token_hash = $1 AND redeemed_at IS NULL AND expires_at > now()
      RETURNING request_id, subscriber_id, department_id, visitor_id`, [hash]);
  const r = rows[0];
  if (r) return { ok: true, ticket: { requestId: r.request_id, subscriberId: r.subscriber_id, departmentId: r.department_id, visitorId: r.visitor_id } };
  const { rows: found } = await db.query(`SELECT request_id, redeemed_at FROM webcall_tickets WHERE token_hash = $1`, [hash]);
  if (!found[0]) return { ok: false, reason: 'unknown', requestId: null };
  return { ok: false, reason: found[0].redeemed_at ? 'reused' : 'expired', requestId: found[0].request_id };
}

/** Requests whose ticket expired unredeemed (oldest first): their visitor never called, they end `expired`. */
export async function listExpiredTicketRequests(db: Queryable, limit: number): Promise<string[]> {
  const { rows } = await db.query(
    `SELECT t.request_id FROM webcall_tickets t JOIN callback_requests r ON r.id = t.request_id
      WHERE t.redeemed_at IS NULL AND t.expires_at <= now() AND r.status = 'queued'
      ORDER BY t.expires_at LIMIT $1`, [limit]);
  return rows.map((r) => r.request_id as string);
}
