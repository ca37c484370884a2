import type { Queryable } from '../platform/db/pool.ts';

// Owner of do_not_call (migration 6000_policy.sql): numbers whose owner asked the whole installation not to
// call them (the opt-out key during a call, a signed link, an operator), and of subscriber_opt_outs (migration
// 9470): numbers one subscriber must not call (a status-page opt-out, by whoever holds that request's token). The
// accept and dial paths read both through callback.repository.ts's optedOutSql, in their own statements.

export type DoNotCallSource = 'dtmf' | 'link' | 'operator' | 'subscriber';

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
