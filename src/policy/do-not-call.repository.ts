import type { Queryable } from '../platform/db/pool.ts';
import { OPEN_REQUEST_OF_KEY, type OpenRequest, type OpenRequestKey } from '../requests/callback.repository.ts';

// Owner of do_not_call (migration 6000_policy.sql): numbers whose owner asked the whole installation not to
// call them (the opt-out key during a call, a signed link, an operator), and of subscriber_opt_outs (migration
// 9470): numbers one subscriber must not call (a status-page opt-out, by whoever holds that request's token).

export type DoNotCallSource = 'dtmf' | 'link' | 'operator' | 'subscriber';

/**
 * SQL that is true when the number may not be called by the subscriber (do-not-call list, or that subscriber's
 * opt-outs); `subscriberId` and `phone` are SQL expressions.
 */
export function optedOutSql(subscriberId: string, phone: string): string {
  return `(EXISTS (SELECT 1 FROM do_not_call n WHERE n.phone_e164 = ${phone})
         OR EXISTS (SELECT 1 FROM subscriber_opt_outs o WHERE o.subscriber_id = ${subscriberId} AND o.phone_e164 = ${phone}))`;
}

/** The number asked this subscriber (only) not to call it again. Idempotent. */
export async function addSubscriberOptOut(db: Queryable, e: { subscriberId: string; phoneE164: string; requestId?: string | null }): Promise<void> {
  await db.query(
    `INSERT INTO subscriber_opt_outs (subscriber_id, phone_e164, request_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
    [e.subscriberId, e.phoneE164, e.requestId ?? null]);
}

/** Idempotent: the first reason a number was added is the one kept. */
export async function addToDoNotCall(db: Queryable, e: { phoneE164: string; source: DoNotCallSource; requestId?: string | null; subscriberId?: string | null; note?: string | null }): Promise<void> {
  await db.query(
    `INSERT INTO do_not_call (phone_e164, source, request_id, subscriber_id, note) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (phone_e164) DO NOTHING`,
    [e.phoneE164, e.source, e.requestId ?? null, e.subscriberId ?? null, e.note ?? null]);
}

/** What the accept path's screening asks of PostgreSQL about one (subscriber, number). */
export interface NumberScreening { optedOut: boolean; open: OpenRequest | null }

/**
 * For each pair, in the order given: whether the number may not be called (do-not-call list or the subscriber's
 * opt-outs) and its oldest open request (callback.repository.ts), the answers of the do-not-call check and findOpenRequests in
 * one statement. The accept path asks both for every request at the same moment; as one statement they cost one
 * round trip, one parse and plan, and one commit where two cost twice that (npm run bench).
 */
export async function screenNumbers(db: Queryable, keys: readonly OpenRequestKey[]): Promise<NumberScreening[]> {
  if (keys.length === 0) return [];
  const { rows } = await db.query({
    name: 'do_not_call.screen_numbers',
    text: `SELECT k.i, ${optedOutSql('k.sub', 'k.phone')} AS opted_out, o.id, o.status, host(o.ip) AS ip, o.user_agent
         FROM unnest($1::uuid[], $2::text[]) WITH ORDINALITY AS k(sub, phone, i)
         LEFT JOIN LATERAL ${OPEN_REQUEST_OF_KEY} o ON true`,
    values: [keys.map((k) => k.subscriberId), keys.map((k) => k.phoneE164)],
  });
  const out: NumberScreening[] = keys.map(() => ({ optedOut: false, open: null }));
  for (const r of rows) {
    out[Number(r.i) - 1] = { optedOut: r.opted_out === true, open: r.id ? { id: r.id, status: r.status, ip: r.ip, userAgent: r.user_agent } : null };
  }
  return out;
}
