import type { Queryable } from '../platform/db/pool.ts';
import { listDomains } from '../subscribers/subscriber.repository.ts';

/**
 * The operator's view of subscribers: read-only joins for the console. Writes go through the subscribers'
 * owner, src/subscribers/subscriber.repository.ts.
 */
export interface SubscriberListRow {
  id: string; slug: string; name: string; email: string | null; status: string; country: string; timezone: string; createdAt: Date;
  requests30d: number; planName: string | null; monthChargeCents: number;
}

/** Search by slug, name, email or owned host; newest first. */
export async function searchSubscribers(db: Queryable, q: { text: string; status?: string; monthFrom: Date; limit?: number }): Promise<SubscriberListRow[]> {
  const like = `%${q.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const { rows } = await db.query(
    `SELECT s.*, p.name AS plan_name,
       (SELECT count(*) FROM callback_requests r WHERE r.subscriber_id = s.id AND r.created_at > now() - interval '30 days')::int AS requests30d,
       (SELECT COALESCE(sum(c.charge_cents), 0) FROM call_records c WHERE c.subscriber_id = s.id AND c.started_at >= $3)::bigint AS month_charge
     FROM subscribers s
     LEFT JOIN subscriber_plans sp ON sp.subscriber_id = s.id
     LEFT JOIN plans p ON p.id = COALESCE(sp.plan_id, (SELECT id FROM plans WHERE is_default))
     WHERE ($1 = '%%' OR s.slug ILIKE $1 OR s.name ILIKE $1 OR s.email ILIKE $1
            OR EXISTS (SELECT 1 FROM domains d WHERE d.subscriber_id = s.id AND d.host ILIKE $1))
       AND ($2::text IS NULL OR s.status = $2)
     ORDER BY s.created_at DESC LIMIT $4`,
    [like, q.status ?? null, q.monthFrom, q.limit ?? 100]);
  return rows.map((r) => ({
    id: r.id, slug: r.slug, name: r.name, email: r.email, status: r.status, country: r.country, timezone: r.timezone, createdAt: r.created_at,
    requests30d: r.requests30d, planName: r.plan_name, monthChargeCents: Number(r.month_charge),
  }));
}

/** The subscriber's hosts, a pending one (ownership not yet proven) marked as such. */
export async function subscriberHosts(db: Queryable, id: string): Promise<string[]> {
  return (await listDomains(db, id)).map((d) => (d.verifiedAt ? d.host : `${d.host} (pending)`));
}
