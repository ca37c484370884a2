import type { Queryable } from '../platform/db/pool.ts';

/** What a widget's beacon reports: the invitation shown, opened (it led to the panel), converted (a request after). */
export const INVITATION_EVENTS = ['shown', 'opened', 'converted'] as const;
export type InvitationEvent = (typeof INVITATION_EVENTS)[number];

export interface InvitationCounts { shown: number; opened: number; converted: number }

/** Adds one event to the subscriber's count of today, today being its local date (`timezone`). */
export async function countInvitationEvent(db: Queryable, subscriberId: string, timezone: string, event: InvitationEvent): Promise<void> {
  await db.query(
    `INSERT INTO invitation_counts (subscriber_id, day, shown, opened, converted)
     VALUES ($1, (now() AT TIME ZONE $2)::date, ($3 = 'shown')::int, ($3 = 'opened')::int, ($3 = 'converted')::int)
     ON CONFLICT (subscriber_id, day) DO UPDATE SET shown = invitation_counts.shown + EXCLUDED.shown,
       opened = invitation_counts.opened + EXCLUDED.opened, converted = invitation_counts.converted + EXCLUDED.converted`,
    [subscriberId, timezone, event]);
}

/** Totals over the local days [fromDay, toDay] (YYYY-MM-DD, both included). */
export async function invitationTotals(db: Queryable, subscriberId: string, fromDay: string, toDay: string): Promise<InvitationCounts> {
  const { rows } = await db.query<{ shown: string; opened: string; converted: string }>(
    `SELECT COALESCE(sum(shown), 0) AS shown, COALESCE(sum(opened), 0) AS opened, COALESCE(sum(converted), 0) AS converted
       FROM invitation_counts WHERE subscriber_id = $1 AND day BETWEEN $2::date AND $3::date`,
    [subscriberId, fromDay, toDay]);
  const r = rows[0]!;
  return { shown: Number(r.shown), opened: Number(r.opened), converted: Number(r.converted) };
}
