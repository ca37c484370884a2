import type { Queryable } from '../platform/db/pool.ts';

/** The only module that reads and writes webhook_endpoints, webhook_events, webhook_deliveries and webhook_feed_cursor. */

export interface WebhookEndpoint {
  id: string;
  subscriberId: string;
  url: string;
  events: string[];
  enabled: boolean;
  disabledReason: string | null;
  failingSince: Date | null;
  createdAt: Date;
  /** Whether an older secret still signs (a rotation's overlap), and until when. */
  previousSecretUntil: Date | null;
}

/** An endpoint with what signs its deliveries: the secret, and the previous one while its overlap lasts. */
export interface SigningEndpoint extends WebhookEndpoint { secrets: string[] }

export interface DeliveryLogRow {
  id: string;
  eventId: string;
  type: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  lastDurationMs: number | null;
  resend: boolean;
  createdAt: Date;
  nextAttemptAt: Date;
}

const ENDPOINT_COLUMNS = `id, subscriber_id, url, events, enabled, disabled_reason, failing_since, created_at,
  CASE WHEN previous_secret_until > now() THEN previous_secret_until END AS previous_secret_until`;

const endpointOf = (r: any): WebhookEndpoint => ({
  id: r.id, subscriberId: r.subscriber_id, url: r.url, events: r.events, enabled: r.enabled, disabledReason: r.disabled_reason,
  failingSince: r.failing_since, createdAt: r.created_at, previousSecretUntil: r.previous_secret_until,
});

export async function listEndpoints(db: Queryable, subscriberId: string): Promise<WebhookEndpoint[]> {
  const { rows } = await db.query(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE subscriber_id = $1 ORDER BY created_at, id`, [subscriberId]);
  return rows.map(endpointOf);
}

export async function findEndpoint(db: Queryable, subscriberId: string, id: string): Promise<WebhookEndpoint | null> {
  const { rows } = await db.query(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE subscriber_id = $1 AND id = $2`, [subscriberId, id]);
  return rows[0] ? endpointOf(rows[0]) : null;
}

export async function countEndpoints(db: Queryable, subscriberId: string): Promise<number> {
  return Number((await db.query(`SELECT count(*) AS n FROM webhook_endpoints WHERE subscriber_id = $1`, [subscriberId])).rows[0].n);
}

export async function insertEndpoint(db: Queryable, e: { subscriberId: string; url: string; events: string[]; secret: string }): Promise<WebhookEndpoint> {
  const { rows } = await db.query(
    `INSERT INTO webhook_endpoints (subscriber_id, url, events, secret) VALUES ($1, $2, $3, $4) RETURNING ${ENDPOINT_COLUMNS}`,
    [e.subscriberId, e.url, e.events, e.secret]);
  return endpointOf(rows[0]);
}

export async function setEndpointEvents(db: Queryable, subscriberId: string, id: string, events: string[]): Promise<boolean> {
  return ((await db.query(`UPDATE webhook_endpoints SET events = $3 WHERE subscriber_id = $1 AND id = $2`, [subscriberId, id, events])).rowCount ?? 0) > 0;
}

/** The new secret signs from now on; the one it replaces signs too for `overlapSec`. */
export async function rotateSecret(db: Queryable, subscriberId: string, id: string, secret: string, overlapSec: number): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_until = now() + make_interval(secs => $4), secret = $3
      WHERE subscriber_id = $1 AND id = $2`, [subscriberId, id, secret, overlapSec]);
  return (rowCount ?? 0) > 0;
}

/** Enabling starts the failure window afresh; disabling keeps pending deliveries for when it is enabled again. */
export async function setEndpointEnabled(db: Queryable, subscriberId: string, id: string, enabled: boolean, reason: string | null = null): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE webhook_endpoints SET enabled = $3, disabled_reason = CASE WHEN $3 THEN NULL ELSE $4 END, failing_since = NULL
      WHERE subscriber_id = $1 AND id = $2`, [subscriberId, id, enabled, reason]);
  return (rowCount ?? 0) > 0;
}

export async function deleteEndpoint(db: Queryable, subscriberId: string, id: string): Promise<boolean> {
  return ((await db.query(`DELETE FROM webhook_endpoints WHERE subscriber_id = $1 AND id = $2`, [subscriberId, id])).rowCount ?? 0) > 0;
}

export async function listDeliveries(db: Queryable, endpointId: string, limit = 50): Promise<DeliveryLogRow[]> {
  const { rows } = await db.query(
    `SELECT d.id, d.event_id, ev.type, d.status, d.attempts, d.last_status, d.last_error, d.last_duration_ms, d.resend, d.created_at, d.next_attempt_at
       FROM webhook_deliveries d JOIN webhook_events ev ON ev.id = d.event_id
      WHERE d.endpoint_id = $1 ORDER BY d.seq DESC LIMIT $2`, [endpointId, limit]);
  return rows.map((r) => ({
    id: r.id, eventId: r.event_id, type: r.type, status: r.status, attempts: r.attempts, lastStatus: r.last_status, lastError: r.last_error,
    lastDurationMs: r.last_duration_ms, resend: r.resend, createdAt: r.created_at, nextAttemptAt: r.next_attempt_at,
  }));
}

/** "Send again": the delivery's event, once more, behind the endpoint's other deliveries. Null when not the subscriber's. */
export async function resendDelivery(db: Queryable, subscriberId: string, endpointId: string, deliveryId: string): Promise<string | null> {
  const { rows } = await db.query(
    `INSERT INTO webhook_deliveries (endpoint_id, event_id, resend)
     SELECT d.endpoint_id, d.event_id, true FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
      WHERE d.id = $3 AND d.endpoint_id = $2 AND e.subscriber_id = $1
     RETURNING id`, [subscriberId, endpointId, deliveryId]);
  return rows[0]?.id ?? null;
}

// ---- events ----

export interface NewWebhookEvent { subscriberId: string; type: string; sourceKey: string; data: Record<string, unknown>; at: Date }

/**
 * The event-recording part of a statement another module writes, so that its change and the events it makes are
 * one statement (one round trip, atomic): CTEs `webhook_event` and `webhook_queued` that record each row of `input`
 * (a CTE with columns subscriber_id, type, source_key, data jsonb, created_at) once (a source key recorded before
 * records nothing) and queue one delivery for each enabled endpoint of its subscriber that takes its type, in the
 * endpoints' order of creation. `webhook_queued` yields the endpoint_id of each delivery queued.
 */
export function recordEventsSql(input: string): string {
  return `webhook_event AS (
       INSERT INTO webhook_events (subscriber_id, type, source_key, data, created_at)
       SELECT subscriber_id, type, source_key, data, created_at FROM ${input}
       ON CONFLICT (source_key) DO NOTHING RETURNING id, subscriber_id, type)
     , webhook_queued AS (
       INSERT INTO webhook_deliveries (endpoint_id, event_id)
       SELECT e.id, ev.id FROM webhook_event ev JOIN webhook_endpoints e ON e.subscriber_id = ev.subscriber_id AND e.enabled AND ev.type = ANY (e.events)
        ORDER BY e.created_at
       RETURNING endpoint_id)`;
}

/**
 * Records an event once (a second call with the same source key does nothing) and queues one delivery for each
 * enabled endpoint of its subscriber that takes its type. Resolves with the endpoints that got a delivery.
 * Other features report their events through this, or through recordEventsSql inside their own statement.
 */
export async function recordEvent(db: Queryable, e: NewWebhookEvent): Promise<string[]> {
  const { rows } = await db.query(
    `WITH input AS (SELECT $1::uuid AS subscriber_id, $2::text AS type, $3::text AS source_key, $4::jsonb AS data, $5::timestamptz AS created_at)
     , ${recordEventsSql('input')}
     SELECT endpoint_id FROM webhook_queued`, [e.subscriberId, e.type, e.sourceKey, JSON.stringify(e.data), e.at]);
  return rows.map((r) => r.endpoint_id as string);
}

// ---- the feed's cursor ----

export async function readFeedCursor(db: Queryable): Promise<{ historyId: string; attemptsAt: Date }> {
  const { rows } = await db.query(`SELECT history_id, attempts_at FROM webhook_feed_cursor`);
  return { historyId: rows[0].history_id, attemptsAt: rows[0].attempts_at };
}

export async function writeFeedCursor(db: Queryable, c: { historyId: string; attemptsAt: Date }): Promise<void> {
  await db.query(`UPDATE webhook_feed_cursor SET history_id = greatest(history_id, $1), attempts_at = greatest(attempts_at, $2)`, [c.historyId, c.attemptsAt]);
}

// ---- delivering ----

export interface HeadDelivery { id: string; eventId: string; type: string; data: Record<string, unknown>; eventAt: Date; createdAt: Date; attempts: number; nextAttemptAt: Date }

/**
 * Takes the endpoint's lease for `leaseSec` (or renews it, with the same token): only its holder delivers to the
 * endpoint. Null when another worker holds it, or the endpoint is disabled or gone.
 */
export async function takeLease(db: Queryable, endpointId: string, token: string, leaseSec: number): Promise<SigningEndpoint | null> {
  const { rows } = await db.query(
    `UPDATE webhook_endpoints SET lease_token = $2, lease_until = now() + make_interval(secs => $3)
      WHERE id = $1 AND enabled AND (lease_until IS NULL OR lease_until < now() OR lease_token = $2)
      RETURNING ${ENDPOINT_COLUMNS}, secret, CASE WHEN previous_secret_until > now() THEN previous_secret END AS previous_secret`,
    [endpointId, token, leaseSec]);
  if (!rows[0]) return null;
  return { ...endpointOf(rows[0]), secrets: [rows[0].secret, ...(rows[0].previous_secret ? [rows[0].previous_secret] : [])] };
}

export async function releaseLease(db: Queryable, endpointId: string, token: string): Promise<void> {
  await db.query(`UPDATE webhook_endpoints SET lease_token = NULL, lease_until = NULL WHERE id = $1 AND lease_token = $2`, [endpointId, token]);
}

/** The endpoint's oldest delivery not yet done: the only one that may be sent. */
export async function headDelivery(db: Queryable, endpointId: string): Promise<HeadDelivery | null> {
  const { rows } = await db.query(
    `SELECT d.id, d.event_id, ev.type, ev.data, ev.created_at AS event_at, d.created_at, d.attempts, d.next_attempt_at
       FROM webhook_deliveries d JOIN webhook_events ev ON ev.id = d.event_id
      WHERE d.endpoint_id = $1 AND d.status = 'pending' ORDER BY d.seq LIMIT 1`, [endpointId]);
  const r = rows[0];
  return r ? { id: r.id, eventId: r.event_id, type: r.type, data: r.data, eventAt: r.event_at, createdAt: r.created_at, attempts: r.attempts, nextAttemptAt: r.next_attempt_at } : null;
}

export async function markDelivered(db: Queryable, d: { id: string; endpointId: string; status: number; durationMs: number }): Promise<void> {
  await db.query(
    `WITH done AS (
       UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, last_status = $2, last_error = NULL, last_duration_ms = $3, finished_at = now()
        WHERE id = $1
     )
     UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $4`, [d.id, d.status, d.durationMs, d.endpointId]);
}

/** A failed try: retried at `retryAt`, or given up (status failed) when it is null. Resolves with the endpoint's failing_since. */
export async function markFailed(db: Queryable, d: { id: string; endpointId: string; status: number | null; error: string; durationMs: number; retryAt: Date | null }): Promise<Date> {
  const { rows } = await db.query(
    `WITH tried AS (
       UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = $2, last_error = $3, last_duration_ms = $4,
              status = CASE WHEN $5::timestamptz IS NULL THEN 'failed' ELSE 'pending' END,
              next_attempt_at = coalesce($5, next_attempt_at), finished_at = CASE WHEN $5::timestamptz IS NULL THEN now() END
        WHERE id = $1
     )
     UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, now()) WHERE id = $6 RETURNING failing_since`,
    [d.id, d.status, d.error.slice(0, 500), d.durationMs, d.retryAt, d.endpointId]);
  return rows[0]?.failing_since ?? new Date();
}

/** Endpoints with a delivery due and nobody delivering: the safety net under the queue's jobs. */
export async function endpointsDue(db: Queryable, limit = 500): Promise<string[]> {
  const { rows } = await db.query(
    `SELECT e.id FROM webhook_endpoints e
      WHERE e.enabled AND (e.lease_until IS NULL OR e.lease_until < now())
        AND (SELECT d.next_attempt_at FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.status = 'pending' ORDER BY d.seq LIMIT 1) <= now()
      LIMIT $1`, [limit]);
  return rows.map((r) => r.id as string);
}

/**
 * Finished deliveries older than `days` leave the log, and events older than that with no delivery left go too.
 * Pending deliveries stay whatever their age (a disabled endpoint's, waiting for it to be enabled).
 */
export async function pruneDeliveries(db: Queryable, days: number): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM webhook_deliveries WHERE status <> 'pending' AND created_at < now() - make_interval(days => $1)`, [days]);
  await db.query(
    `DELETE FROM webhook_events ev WHERE ev.created_at < now() - make_interval(days => $1)
        AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = ev.id)`, [days]);
  return rowCount ?? 0;
}
