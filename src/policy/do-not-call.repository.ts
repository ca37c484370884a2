import type { Queryable } from '../db/pool.ts';

// Owner of do_not_call (migration 6000_policy.sql).

export type DoNotCallSource = 'dtmf' | 'link' | 'operator' | 'subscriber';

export async function isOnDoNotCall(db: Queryable, e164: string): Promise<boolean> {
  const { rows } = await db.query(`SELECT 1 FROM do_not_call WHERE phone_e164 = $1`, [e164]);
  return rows.length > 0;
}

/** Which of `numbers` are on the list, in one statement (the accept path asks for many requests at once). */
export async function listedOnDoNotCall(db: Queryable, numbers: string[]): Promise<Set<string>> {
  if (numbers.length === 0) return new Set();
  const { rows } = await db.query({ name: 'do_not_call.listed', text: `SELECT phone_e164 FROM do_not_call WHERE phone_e164 = ANY($1::text[])`, values: [numbers] });
  return new Set(rows.map((r) => r.phone_e164 as string));
}

/** Idempotent: the first reason a number was added is the one kept. */
export async function addToDoNotCall(db: Queryable, e: { phoneE164: string; source: DoNotCallSource; requestId?: string | null; subscriberId?: string | null; note?: string | null }): Promise<void> {
  await db.query(
    `INSERT INTO do_not_call (phone_e164, source, request_id, subscriber_id, note) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (phone_e164) DO NOTHING`,
    [e.phoneE164, e.source, e.requestId ?? null, e.subscriberId ?? null, e.note ?? null]);
}

export async function removeFromDoNotCall(db: Queryable, e164: string): Promise<boolean> {
  const { rowCount } = await db.query(`DELETE FROM do_not_call WHERE phone_e164 = $1`, [e164]);
  return (rowCount ?? 0) > 0;
}

export async function listDoNotCall(db: Queryable, limit = 200): Promise<{ phoneE164: string; source: DoNotCallSource; createdAt: Date }[]> {
  const { rows } = await db.query(`SELECT phone_e164, source, created_at FROM do_not_call ORDER BY created_at DESC LIMIT $1`, [limit]);
  return rows.map((r) => ({ phoneE164: r.phone_e164, source: r.source, createdAt: r.created_at }));
}
