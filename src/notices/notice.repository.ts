import type { Queryable } from '../platform/db/pool.ts';
import { DEFAULT_PREFERENCES, NOTICE_KINDS, type NoticeKind, type NoticePreferences } from './notice-kinds.ts';

// Owner of notice_preferences, notices and notice_scan (migrations 9950_notices.sql, 9990_webhook_disabled_notice.sql).

export async function loadPreferences(db: Queryable, subscriberId: string): Promise<NoticePreferences> {
  const { rows } = await db.query(`SELECT new_request, missed, digest, chat_unanswered, webhook_disabled FROM notice_preferences WHERE subscriber_id = $1`, [subscriberId]);
  return rows[0] ? Object.fromEntries(NOTICE_KINDS.map((k) => [k, rows[0][k] as boolean])) as NoticePreferences : { ...DEFAULT_PREFERENCES };
}

export async function savePreferences(db: Queryable, subscriberId: string, p: NoticePreferences): Promise<void> {
  await db.query(
    `INSERT INTO notice_preferences (subscriber_id, new_request, missed, digest, chat_unanswered, webhook_disabled) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (subscriber_id) DO UPDATE SET new_request = $2, missed = $3, digest = $4, chat_unanswered = $5, webhook_disabled = $6, updated_at = now()`,
    [subscriberId, p.new_request, p.missed, p.digest, p.chat_unanswered, p.webhook_disabled]);
}

/** Turns one event off (an unsubscribe link), keeping the owner's other choices (or the defaults). */
export async function turnOff(db: Queryable, subscriberId: string, kind: NoticeKind): Promise<boolean> {
  const p = await loadPreferences(db, subscriberId);
  const { rowCount } = await db.query(`SELECT 1 FROM subscribers WHERE id = $1`, [subscriberId]);
  if (!rowCount) return false;
  await savePreferences(db, subscriberId, { ...p, [kind]: false });
  return true;
}

/** A request as a notice shows it, captured when the notice is decided. */
const REQUEST_PAYLOAD = `jsonb_build_object(
  'requestId', r.id, 'kind', r.kind, 'phone', r.phone_e164, 'visitorName', r.visitor_name, 'message', r.message,
  'pageUrl', r.page_url, 'department', d.name, 'status', r.status, 'reason', r.status_reason,
  'attempts', r.attempt_count, 'createdAt', r.created_at, 'finishedAt', r.finished_at)`;

/**
 * Decides the request notices of the requests created (new_request) or ended failed or expired (missed) since the
 * last pass, for active owners who want them and have an address; returns the new notices' ids. Each pass re-reads
 * `overlapSec` before where the last one stopped, so a request committed late (its times are its transaction's
 * start) is still seen; the unique (owner, kind, subject) makes the overlap harmless. Passes of several workers
 * do not run at once: one holds the scan row, the others skip. `db` must be a transaction.
 */
export async function decideRequestNotices(tx: Queryable, overlapSec: number): Promise<string[]> {
  const scan = await tx.query(`SELECT scanned_to - make_interval(secs => $1) AS since, now() AS until FROM notice_scan FOR UPDATE SKIP LOCKED`, [overlapSec]);
  if (!scan.rows[0]) return [];
  const { since, until } = scan.rows[0];
  const decide = (kind: NoticeKind, when: string, extra: string) => tx.query(
    `INSERT INTO notices (subscriber_id, kind, subject, payload)
     SELECT r.subscriber_id, $3, r.id::text, ${REQUEST_PAYLOAD}
       FROM callback_requests r
       JOIN subscribers s ON s.id = r.subscriber_id
       LEFT JOIN departments d ON d.id = r.department_id
       LEFT JOIN notice_preferences p ON p.subscriber_id = r.subscriber_id
      WHERE r.${when} > $1 AND r.${when} <= $2 ${extra}
        AND s.email IS NOT NULL AND s.status = 'active' AND coalesce(p.${kind}, ${DEFAULT_PREFERENCES[kind]})
     ON CONFLICT (subscriber_id, kind, subject) DO NOTHING
     RETURNING id`, [since, until, kind]);
  const created = await decide('new_request', 'created_at', '');
  const missed = await decide('missed', 'finished_at', `AND r.status IN ('failed', 'expired')`);
  await tx.query(`UPDATE notice_scan SET scanned_to = $1`, [until]);
  return [...created.rows, ...missed.rows].map((r) => r.id as string);
}

/**
 * Decides the daily digests due at `at`: one per owner who wants it, once its local time is past `hour` on a
 * day it has none yet (the subject is the local date, unique per owner). It counts yesterday's requests (local
 * day, by creation): all, those completed, and those that ended failed or expired.
 */
export async function decideDigests(db: Queryable, at: Date, hour: number): Promise<string[]> {
  const { rows } = await db.query(
    `INSERT INTO notices (subscriber_id, kind, subject, payload)
     SELECT s.id, 'digest', l.day::text,
            jsonb_build_object('day', (l.day - 1)::text, 'requests', c.requests, 'completed', c.completed, 'missed', c.missed)
       FROM subscribers s
       JOIN notice_preferences p ON p.subscriber_id = s.id AND p.digest
       CROSS JOIN LATERAL (SELECT ($1::timestamptz AT TIME ZONE s.timezone) AS local, ($1::timestamptz AT TIME ZONE s.timezone)::date AS day) l
       CROSS JOIN LATERAL (
         SELECT count(*)::int AS requests,
                (count(*) FILTER (WHERE r.status = 'completed'))::int AS completed,
                (count(*) FILTER (WHERE r.status IN ('failed', 'expired')))::int AS missed
           FROM callback_requests r
          WHERE r.subscriber_id = s.id
            AND r.created_at >= ((l.day - 1)::timestamp AT TIME ZONE s.timezone)
            AND r.created_at < (l.day::timestamp AT TIME ZONE s.timezone)) c
      WHERE s.email IS NOT NULL AND s.status = 'active' AND extract(hour FROM l.local) >= $2
        AND NOT EXISTS (SELECT 1 FROM notices n WHERE n.subscriber_id = s.id AND n.kind = 'digest' AND n.subject = l.day::text)
     ON CONFLICT (subscriber_id, kind, subject) DO NOTHING
     RETURNING id`, [at, hour]);
  return rows.map((r) => r.id as string);
}

/** A notice decided elsewhere (the chat's hook), if the owner wants this kind; its id, or null. */
export async function decideNotice(db: Queryable, n: { subscriberId: string; kind: NoticeKind; subject: string; payload: Record<string, unknown> }): Promise<string | null> {
  const { rows } = await db.query(
    `INSERT INTO notices (subscriber_id, kind, subject, payload)
     SELECT s.id, $2, $3, $4 FROM subscribers s LEFT JOIN notice_preferences p ON p.subscriber_id = s.id
      WHERE s.id = $1 AND s.email IS NOT NULL AND coalesce(p.${n.kind}, ${DEFAULT_PREFERENCES[n.kind]})
     ON CONFLICT (subscriber_id, kind, subject) DO NOTHING RETURNING id`,
    [n.subscriberId, n.kind, n.subject, JSON.stringify(n.payload)]);
  return rows[0]?.id ?? null;
}

/** Notices whose queue job may not exist (decided, then Redis refused the job). */
export async function unenqueuedNotices(db: Queryable, limit = 500): Promise<string[]> {
  const { rows } = await db.query(`SELECT id FROM notices WHERE enqueued_at IS NULL AND sent_at IS NULL AND failed_at IS NULL ORDER BY created_at LIMIT $1`, [limit]);
  return rows.map((r) => r.id as string);
}

export async function markEnqueued(db: Queryable, ids: string[]): Promise<void> {
  if (ids.length) await db.query(`UPDATE notices SET enqueued_at = now() WHERE id = ANY($1::uuid[]) AND enqueued_at IS NULL`, [ids]);
}

export interface StoredNotice {
  id: string;
  kind: NoticeKind;
  subject: string;
  payload: Record<string, unknown>;
  sentAt: Date | null;
  subscriber: { id: string; name: string; slug: string; email: string | null; timezone: string };
  /** The owner's choice for this kind now (an unsubscribe after the notice was decided wins). */
  wanted: boolean;
}

export async function loadNotice(db: Queryable, id: string): Promise<StoredNotice | null> {
  const { rows } = await db.query(
    `SELECT n.id, n.kind, n.subject, n.payload, n.sent_at, s.id AS sid, s.name, s.slug, s.email, s.timezone,
            to_jsonb(p) AS prefs
       FROM notices n JOIN subscribers s ON s.id = n.subscriber_id
       LEFT JOIN notice_preferences p ON p.subscriber_id = n.subscriber_id
      WHERE n.id = $1`, [id]);
  const r = rows[0];
  if (!r) return null;
  const kind = r.kind as NoticeKind;
  return {
    id: r.id, kind, subject: r.subject, payload: r.payload, sentAt: r.sent_at,
    subscriber: { id: r.sid, name: r.name, slug: r.slug, email: r.email, timezone: r.timezone },
    wanted: r.prefs ? Boolean(r.prefs[kind]) : DEFAULT_PREFERENCES[kind],
  };
}

export async function markSent(db: Queryable, id: string): Promise<void> {
  await db.query(`UPDATE notices SET sent_at = now(), last_error = NULL WHERE id = $1`, [id]);
}

/** A failed try; `final` when the queue gives up on it. */
export async function markFailed(db: Queryable, id: string, error: string, final: boolean): Promise<void> {
  await db.query(`UPDATE notices SET last_error = $2, failed_at = CASE WHEN $3 THEN now() ELSE failed_at END WHERE id = $1`, [id, error.slice(0, 500), final]);
}
