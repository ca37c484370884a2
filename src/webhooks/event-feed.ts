import type { Pool } from '../platform/db/pool.ts';
import { readFeedCursor, recordEvent, writeFeedCursor, type NewWebhookEvent } from './webhook.repository.ts';

/**
 * The request lifecycle's events, read from what PostgreSQL already holds (request_status_history and ended
 * call_attempts) after a stored cursor, rather than from the live event bus: an event is made even when no worker
 * was listening at the moment, so delivery is at least once. Each event is named by its source row
 * (`source_key`), so reading a row twice makes no second event.
 *
 * Ids and times are taken when a row is written, but rows become visible when their transaction commits, which
 * can be in a different order. The cursor therefore only moves past rows written more than LATE_COMMIT_MS ago;
 * newer rows are read again on the next pass (and recorded once).
 *
 * Which events a row makes:
 *   a request's first history row                       callback.created
 *   a move to scheduled                                 callback.scheduled
 *   a move to completed                                 callback.completed
 *   a move to failed or expired (data.status says which) callback.failed
 *   an ended attempt of a call-back                     attempt.ended
 *   an ended attempt of a web call (flow web_inbound)   webcall.ended
 * Only subscribers with an enabled endpoint get events. chat.message and chat.closed come from the chat
 * feature through recordEvent.
 */
export const LATE_COMMIT_MS = 60_000;
const BATCH = 5000;

interface HistoryRow {
  id: string; request_id: string; from_status: string | null; to_status: string; reason: string | null; at: Date;
  subscriber_id: string; department_id: string | null; phone_e164: string | null; visitor_name: string | null; page_url: string | null;
  kind: string; scheduled_at: Date | null; attempt_count: number; wanted: boolean;
}
interface AttemptRow {
  id: string; request_id: string; n: number; flow: string; outcome: string | null; cause: number | null; cause_txt: string | null;
  started_at: Date; answered_at: Date | null; ended_at: Date; subscriber_id: string; department_id: string | null; kind: string; wanted: boolean;
}

const WANTED = `EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.subscriber_id = r.subscriber_id AND e.enabled)`;

/** The events one history row makes (pure). */
export function historyEvents(h: HistoryRow): NewWebhookEvent[] {
  const request = {
    requestId: h.request_id, kind: h.kind, departmentId: h.department_id, phone: h.phone_e164, name: h.visitor_name, pageUrl: h.page_url,
  };
  const move = { ...request, status: h.to_status, previousStatus: h.from_status, reason: h.reason, attempts: h.attempt_count, at: h.at.toISOString() };
  const base = { subscriberId: h.subscriber_id, at: h.at };
  const out: NewWebhookEvent[] = [];
  if (h.from_status === null) out.push({ ...base, type: 'callback.created', sourceKey: `history:${h.id}:created`, data: { ...request, status: h.to_status, scheduledAt: h.scheduled_at?.toISOString() ?? null } });
  const type = h.to_status === 'scheduled' ? 'callback.scheduled'
    : h.to_status === 'completed' ? 'callback.completed'
      : h.to_status === 'failed' || h.to_status === 'expired' ? 'callback.failed' : null;
  if (type === 'callback.scheduled') out.push({ ...base, type, sourceKey: `history:${h.id}`, data: { ...move, scheduledAt: h.scheduled_at?.toISOString() ?? null } });
  else if (type) out.push({ ...base, type, sourceKey: `history:${h.id}`, data: move });
  return out;
}

/** The event one ended attempt makes (pure). */
export function attemptEvent(a: AttemptRow): NewWebhookEvent {
  const web = a.flow === 'web_inbound';
  return {
    subscriberId: a.subscriber_id, at: a.ended_at, type: web ? 'webcall.ended' : 'attempt.ended', sourceKey: `attempt:${a.id}`,
    data: {
      requestId: a.request_id, attemptId: a.id, attempt: a.n, departmentId: a.department_id, outcome: a.outcome, cause: a.cause, causeText: a.cause_txt,
      startedAt: a.started_at.toISOString(), answeredAt: a.answered_at?.toISOString() ?? null, endedAt: a.ended_at.toISOString(),
      talkSec: a.answered_at ? Math.max(0, Math.round((a.ended_at.getTime() - a.answered_at.getTime()) / 1000)) : 0,
    },
  };
}

/**
 * One pass: records the events written since the cursor, moves it, resolves with the endpoints that got
 * deliveries. `recorded` (kept by the caller between passes) holds the source keys this process already
 * recorded that the cursor has not passed yet, so the rows read again are not written again; it is only a saving,
 * the unique source key is what makes an event once.
 */
export async function feedPass(pool: Pool, recorded: Map<string, number> = new Map()): Promise<Set<string>> {
  const cursor = await readFeedCursor(pool);
  const { rows: history } = await pool.query<HistoryRow>(
    `SELECT h.id, h.request_id, h.from_status, h.to_status, h.reason, h.at, r.subscriber_id, r.department_id, r.phone_e164, r.visitor_name,
            r.page_url, r.kind, r.scheduled_at, r.attempt_count, ${WANTED} AS wanted
       FROM request_status_history h JOIN callback_requests r ON r.id = h.request_id
      WHERE h.id > $1 ORDER BY h.id LIMIT ${BATCH}`, [cursor.historyId]);
  const { rows: attempts } = await pool.query<AttemptRow>(
    `SELECT a.id, a.request_id, a.n, a.flow, a.outcome, a.cause, a.cause_txt, a.started_at, a.answered_at, a.ended_at,
            r.subscriber_id, r.department_id, r.kind, ${WANTED} AS wanted
       FROM call_attempts a JOIN callback_requests r ON r.id = a.request_id
      WHERE a.ended_at IS NOT NULL AND a.ended_at > $1 ORDER BY a.ended_at, a.id LIMIT ${BATCH}`, [cursor.attemptsAt]);

  // One timeline, so an endpoint receives an attempt's end before the request's completion it led to.
  const events = [
    ...history.filter((h) => h.wanted).flatMap(historyEvents),
    ...attempts.filter((a) => a.wanted).map(attemptEvent),
  ].sort((a, b) => a.at.getTime() - b.at.getTime());
  const endpoints = new Set<string>();
  for (const e of events) {
    if (recorded.has(e.sourceKey)) continue;
    for (const id of await recordEvent(pool, e)) endpoints.add(id);
    recorded.set(e.sourceKey, e.at.getTime());
  }

  const settled = Date.now() - LATE_COMMIT_MS;
  let historyId = cursor.historyId;
  for (const h of history) { if (h.at.getTime() >= settled) break; historyId = h.id; }
  let attemptsAt = cursor.attemptsAt;
  for (const a of attempts) { if (a.ended_at.getTime() >= settled) break; attemptsAt = a.ended_at; }
  await writeFeedCursor(pool, { historyId, attemptsAt });
  // Keys of rows the cursor has passed are never read again (a margin of one more LATE_COMMIT_MS).
  for (const [key, at] of recorded) if (at < settled - LATE_COMMIT_MS) recorded.delete(key);
  return endpoints;
}
