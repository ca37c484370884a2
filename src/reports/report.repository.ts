import type { Queryable } from '../platform/db/pool.ts';

// Reads only: callback_requests, call_attempts, departments belong to their modules; reports never write.

export type ReportDimension = 'total' | 'day' | 'department' | 'agent' | 'page' | 'channel';

/** How the visitor reached the business: a call-back to a phone number, or a call from the browser. */
export const CHANNEL_LABELS = { callback: 'phone call-back', webcall: 'web call' } as const;

export interface ReportRow {
  key: string;
  requests: number;
  answered: number;
  connected: number;
  /** seconds from request to the visitor answering, over answered requests; null when none */
  medianAnswerSec: number | null;
  p90AnswerSec: number | null;
  /** how the requests ended so far: completed (put through), failed or expired, canceled; the rest are still open */
  completed: number;
  failed: number;
  canceled: number;
}

const KEY: Record<ReportDimension, string> = {
  total: `'all'`,
  day: `to_char(created_at AT TIME ZONE $4, 'YYYY-MM-DD')`,
  department: `COALESCE(dept, '(no department)')`,
  agent: `COALESCE(agent, '(no agent)')`,
  // the page without query string or fragment: campaign parameters must not split one page into many
  page: `COALESCE(NULLIF(split_part(split_part(page_url, '#', 1), '?', 1), ''), '(unknown page)')`,
  channel: `CASE kind WHEN 'webcall' THEN '${CHANNEL_LABELS.webcall}' ELSE '${CHANNEL_LABELS.callback}' END`,
};

/** Requests created in [from, to) grouped by one dimension, with answer and connect counts and answer times. */
export async function reportBy(db: Queryable, q: { subscriberId: string; from: Date; to: Date; timezone: string; by: ReportDimension; limit?: number }): Promise<ReportRow[]> {
  const key = KEY[q.by];
  const { rows } = await db.query(
    `WITH req AS (
       SELECT r.id, r.created_at, r.page_url, r.kind, r.status, d.name AS dept,
         (SELECT min(a.answered_at) FROM call_attempts a WHERE a.request_id = r.id) AS answered_at,
         EXISTS (SELECT 1 FROM call_attempts a WHERE a.request_id = r.id AND a.callee_answered_at IS NOT NULL) AS connected,
         (SELECT regexp_replace(a.callee_endpoint, '^[A-Za-z]+/', '') FROM call_attempts a
           WHERE a.request_id = r.id AND a.callee_kind = 'agent' ORDER BY a.callee_answered_at IS NULL, a.n DESC LIMIT 1) AS agent
       FROM callback_requests r LEFT JOIN departments d ON d.id = r.department_id
       WHERE r.subscriber_id = $1 AND r.created_at >= $2 AND r.created_at < $3)
     SELECT ${key} AS key, count(*)::int AS requests, count(answered_at)::int AS answered, count(*) FILTER (WHERE connected)::int AS connected,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM answered_at - created_at)) FILTER (WHERE answered_at IS NOT NULL) AS median,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM answered_at - created_at)) FILTER (WHERE answered_at IS NOT NULL) AS p90,
       count(*) FILTER (WHERE status = 'completed')::int AS completed, count(*) FILTER (WHERE status IN ('failed', 'expired'))::int AS failed,
       count(*) FILTER (WHERE status = 'canceled')::int AS canceled
     FROM req WHERE $4::text IS NOT NULL GROUP BY 1 ORDER BY ${q.by === 'day' ? '1' : 'requests DESC, 1'} LIMIT $5`,
    [q.subscriberId, q.from, q.to, q.timezone, q.limit ?? 500]);
  return rows.map((r) => ({
    key: r.key, requests: r.requests, answered: r.answered, connected: r.connected,
    medianAnswerSec: r.median === null ? null : Math.round(Number(r.median) * 10) / 10,
    p90AnswerSec: r.p90 === null ? null : Math.round(Number(r.p90) * 10) / 10,
    completed: r.completed, failed: r.failed, canceled: r.canceled,
  }));
}

/**
 * Seconds from request to first dial of the subscriber's latest immediate requests (not scheduled ones, whose
 * wait was chosen) over the last 7 days, newest first: what the wait estimate is made of.
 */
export async function recentTimesToDial(db: Queryable, subscriberId: string, limit = 50): Promise<number[]> {
  const { rows } = await db.query(
    `SELECT extract(epoch FROM a.started_at - r.created_at) AS sec
       FROM callback_requests r JOIN call_attempts a ON a.request_id = r.id AND a.n = 1
      WHERE r.subscriber_id = $1 AND r.scheduled_at IS NULL AND r.created_at > now() - interval '7 days'
      ORDER BY r.created_at DESC LIMIT $2`, [subscriberId, limit]);
  return rows.map((r) => Math.max(0, Number(r.sec)));
}
