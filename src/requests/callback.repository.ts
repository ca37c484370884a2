import type { Queryable } from '../platform/db/pool.ts';
import { isUuid } from '../platform/validation/ids.ts';
import type { AttemptOutcome, AttemptView, CallbackRequest, RequestStatus } from './callback.types.ts';
import { checkEntry, checkMove, FINAL_STATUSES, legalFrom, sqlStatusList } from './request-lifecycle.ts';

// Owner of callback_requests and request_status_history: no other module writes them. Every status written here is
// checked against the request lifecycle (request-lifecycle.ts) first; claimRequestsSql lends the claim's request half
// to the attempt repository's statement.

/** The CASE arm that stamps finished_at when a move ends the request. */
const FINAL_SQL = sqlStatusList(FINAL_STATUSES);

const COLUMNS = `id, kind, subscriber_id, department_id, phone_e164, visitor_name, message, page_url, referrer, host(ip) AS ip,
  user_agent, source, scheduled_at, status, status_reason, attempt_count, enqueued_at, next_attempt_at, created_at, finished_at`;

function toRequest(r: Record<string, any>): CallbackRequest {
  return {
    id: r.id, kind: r.kind ?? 'callback', subscriberId: r.subscriber_id, departmentId: r.department_id, phoneE164: r.phone_e164,
    visitorName: r.visitor_name, message: r.message, pageUrl: r.page_url, referrer: r.referrer, ip: r.ip,
    userAgent: r.user_agent, source: r.source, scheduledAt: r.scheduled_at, status: r.status,
    statusReason: r.status_reason, attemptCount: r.attempt_count, enqueuedAt: r.enqueued_at,
    nextAttemptAt: r.next_attempt_at, createdAt: r.created_at, finishedAt: r.finished_at,
  };
}

/** What accept writes: the visitor's side of a request, its first status and its status token's hash. */
export type NewRequest = Pick<CallbackRequest,
  'subscriberId' | 'departmentId' | 'phoneE164' | 'visitorName' | 'message' | 'pageUrl' | 'referrer' | 'ip' | 'userAgent' | 'source' | 'scheduledAt'>
  & { status: 'queued' | 'scheduled'; tokenHash: Buffer };

/**
 * SQL that is true when the number may not be called by the subscriber: the do-not-call list or that subscriber's
 * opt-outs (both written by policy/do-not-call.repository.ts); `subscriberId` and `phone` are SQL expressions.
 */
function optedOutSql(subscriberId: string, phone: string): string {
  return `(EXISTS (SELECT 1 FROM do_not_call n WHERE n.phone_e164 = ${phone})
         OR EXISTS (SELECT 1 FROM subscriber_opt_outs o WHERE o.subscriber_id = ${subscriberId} AND o.phone_e164 = ${phone}))`;
}

/** Why a request passed by the accept guards was not stored: its number may not be called, or it has an open request. */
export interface NumberScreening { optedOut: boolean; open: OpenRequest | null }

/**
 * Screens and inserts requests, many in one statement (the accept path batches them, see
 * src/platform/db/statement-batcher.ts): a row is stored, with its first history row, only when its number may be
 * called by its subscriber (not on the do-not-call list nor the subscriber's opt-outs) and has no open request
 * with that subscriber; otherwise nothing is written for it and its screening says why. One answer per row, in
 * the order given; a stored row's is `{ optedOut: false, open: null }`. Ids are chosen by the caller so that each
 * caller knows its row without relying on the order of RETURNING. Rows are stored as handed to the queue; see
 * markNotEnqueued.
 */
export async function insertRequestsIfClear(db: Queryable, rows: (NewRequest & { id: string })[]): Promise<NumberScreening[]> {
  if (rows.length === 0) return [];
  for (const r of rows) checkEntry(r.status);
  const col = (k: keyof NewRequest | 'id') => rows.map((r) => r[k] ?? null);
  const { rows: held } = await db.query({
    name: 'callback_requests.insert_if_clear',
    // The screening is the do-not-call check and the open-request lookup (one probe of the open-number index
    // per row); the inserts see the table as it was before the statement, as those lookups do.
    text: `WITH k AS (
       SELECT k.*, ${optedOutSql('k.sub', 'k.phone')} AS opted_out, o.id AS open_id, o.status AS open_status,
              host(o.ip) AS open_ip, o.user_agent AS open_ua
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::inet[],
                     $10::text[], $11::text[], $12::timestamptz[], $13::text[], $14::bytea[]) WITH ORDINALITY
           AS k(id, sub, dep, phone, name, msg, page, ref, ip, ua, src, sched, st, th, i)
         LEFT JOIN LATERAL ${OPEN_REQUEST_OF_KEY} o ON true),
     ins AS (
       INSERT INTO callback_requests (id, subscriber_id, department_id, phone_e164, visitor_name, message, page_url, referrer,
         ip, user_agent, source, scheduled_at, status, token_hash, next_attempt_at, enqueued_at)
       SELECT id, sub, dep, phone, name, msg, page, ref, ip, ua, src, sched, st, th, COALESCE(sched, now()), now()
         FROM k WHERE NOT opted_out AND open_id IS NULL
       RETURNING id, status),
     hist AS (
       INSERT INTO request_status_history (request_id, from_status, to_status, reason) SELECT id, NULL, status, 'accepted' FROM ins)
     SELECT i, opted_out, open_id, open_status, open_ip, open_ua FROM k WHERE opted_out OR open_id IS NOT NULL`,
    values: [col('id'), col('subscriberId'), col('departmentId'), col('phoneE164'), col('visitorName'), col('message'), col('pageUrl'),
      col('referrer'), col('ip'), col('userAgent'), col('source'), col('scheduledAt'), col('status'), col('tokenHash')],
  });
  const out: NumberScreening[] = rows.map(() => ({ optedOut: false, open: null }));
  for (const r of held) {
    out[Number(r.i) - 1] = {
      optedOut: r.opted_out === true,
      open: r.open_id ? { id: r.open_id, status: r.open_status, ip: r.open_ip, userAgent: r.open_ua } : null,
    };
  }
  return out;
}

/** What POST /api/v1/webcalls writes: a request of kind `webcall` (no visitor phone) and its status token's hash. */
export type NewWebcallRequest = Pick<CallbackRequest,
  'id' | 'subscriberId' | 'departmentId' | 'visitorName' | 'message' | 'pageUrl' | 'referrer' | 'ip' | 'userAgent' | 'source'>
  & { tokenHash: Buffer };

/**
 * Inserts a web call's request, `queued` with its first history row. It is stored as handed to the queue
 * (enqueued_at set) though no job is ever added: the browser's call, not the queue, starts it, and neither the
 * outbox relay nor schedule recovery (listOverdueQueued passes over kind `webcall`) may dial it.
 */
export async function insertWebcallRequest(db: Queryable, r: NewWebcallRequest): Promise<void> {
  checkEntry('queued');
  await db.query(
    `WITH ins AS (
       INSERT INTO callback_requests (id, kind, subscriber_id, department_id, phone_e164, visitor_name, message, page_url, referrer,
         ip, user_agent, source, status, token_hash, next_attempt_at, enqueued_at)
       VALUES ($1, 'webcall', $2, $3, NULL, $4, $5, $6, $7, $8, $9, $10, 'queued', $11, now(), now())
       RETURNING id, status)
     INSERT INTO request_status_history (request_id, from_status, to_status, reason) SELECT id, NULL, status, 'accepted' FROM ins`,
    [r.id, r.subscriberId, r.departmentId, r.visitorName, r.message, r.pageUrl, r.referrer, r.ip, r.userAgent, r.source, r.tokenHash]);
}

export interface OpenRequestKey { subscriberId: string; phoneE164: string }

/** An open request and who asked for it (client address and user agent as stored). */
export interface OpenRequest { id: string; status: RequestStatus; ip: string | null; userAgent: string | null }

/** The oldest open request of each (subscriber, number), for many pairs in one statement; keyed `subscriberId|phone`. */
export async function findOpenRequests(db: Queryable, keys: OpenRequestKey[]): Promise<Map<string, OpenRequest>> {
  const found = new Map<string, OpenRequest>();
  if (keys.length === 0) return found;
  const { rows } = await db.query({
    name: 'callback_requests.find_open',
    // One index probe per pair (OPEN_REQUEST_OF_KEY), whatever the length of the queue.
    text: `SELECT k.sub AS subscriber_id, k.phone AS phone_e164, o.id, o.status, host(o.ip) AS ip, o.user_agent
         FROM unnest($1::uuid[], $2::text[]) AS k(sub, phone)
         CROSS JOIN LATERAL ${OPEN_REQUEST_OF_KEY} o`,
    values: [keys.map((k) => k.subscriberId), keys.map((k) => k.phoneE164)],
  });
  for (const r of rows) found.set(`${r.subscriber_id}|${r.phone_e164}`, { id: r.id, status: r.status, ip: r.ip, userAgent: r.user_agent });
  return found;
}

/**
 * The oldest open request of the pair `k.sub`, `k.phone`: one probe of callback_requests_open_number_idx. The status
 * list is spelled out, not a parameter: PostgreSQL uses a partial index only when it can see that the query implies
 * the index's predicate. It is OPEN_STATUSES (checked by a test). `k.sub` and `k.phone` name the pair.
 */
const OPEN_REQUEST_OF_KEY = `(SELECT r.id, r.status, r.ip, r.user_agent FROM callback_requests r
           WHERE r.phone_e164 = k.phone AND r.subscriber_id = k.sub AND r.status IN ('queued', 'scheduled', 'dialing', 'connected')
           ORDER BY r.created_at LIMIT 1)`;

/** Puts a request in the outbox: its queue job could not be added (the relay adds it when Redis is back). */
export async function markNotEnqueued(db: Queryable, id: string): Promise<void> {
  await db.query(`UPDATE callback_requests SET enqueued_at = NULL WHERE id = $1`, [id]);
}

export async function markEnqueued(db: Queryable, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.query(`UPDATE callback_requests SET enqueued_at = now() WHERE id = ANY($1::uuid[]) AND enqueued_at IS NULL`, [ids]);
}

/** Requests accepted while Redis was unreachable (the outbox), oldest first. */
export async function listUnenqueued(db: Queryable, limit: number): Promise<Pick<CallbackRequest, 'id' | 'nextAttemptAt' | 'status' | 'attemptCount'>[]> {
  const { rows } = await db.query(
    `SELECT id, next_attempt_at, status, attempt_count FROM callback_requests
      WHERE enqueued_at IS NULL AND status IN ('queued', 'scheduled') ORDER BY created_at LIMIT $1`, [limit]);
  return rows.map((r) => ({ id: r.id, nextAttemptAt: r.next_attempt_at, status: r.status, attemptCount: r.attempt_count }));
}

export interface OverdueRequest { id: string; attemptCount: number; nextAttemptAt: Date }

/**
 * Requests handed to the queue (enqueued_at set) that are still queued or scheduled more than `graceMs` after
 * they were due: their job may be lost (schedule recovery). Uses callback_requests_open_idx. One page, oldest
 * first; `after` (the last row of the previous page) continues past it.
 */
export async function listOverdueQueued(db: Queryable, graceMs: number, limit: number, after?: { nextAttemptAt: Date; id: string }): Promise<OverdueRequest[]> {
  const { rows } = await db.query(
    `SELECT id, attempt_count, next_attempt_at FROM callback_requests
      WHERE status IN ('queued', 'scheduled') AND enqueued_at IS NOT NULL AND kind = 'callback'
        AND next_attempt_at < now() - make_interval(secs => $1::double precision / 1000)
        AND ($3::timestamptz IS NULL OR (next_attempt_at, id) > ($3::timestamptz, $4::uuid))
      ORDER BY next_attempt_at, id LIMIT $2`, [graceMs, limit, after?.nextAttemptAt ?? null, after?.id ?? null]);
  return rows.map((r) => ({ id: r.id, attemptCount: r.attempt_count, nextAttemptAt: r.next_attempt_at }));
}

/** A request still `dialing`/`connected` whose attempts have all ended, with how its last attempt ended. */
export interface StrandedRequest {
  id: string;
  attemptId: string;
  outcome: AttemptOutcome | null;
  cause: number | null;
  causeTxt: string | null;
  /** The attempt was agent-first and never started the visitor's leg. */
  visitorNeverDialed: boolean;
}

/**
 * Requests left `dialing`/`connected` although their attempts have all ended, the last more than `graceMs` ago:
 * the move that follows an attempt's end never happened (the worker died, or PostgreSQL failed, in between).
 * Oldest first. Uses callback_requests_open_idx and call_attempts' (request_id, n).
 */
export async function listStrandedRequests(db: Queryable, graceMs: number, limit: number): Promise<StrandedRequest[]> {
  const { rows } = await db.query(
    `SELECT r.id, a.id AS attempt_id, a.outcome, a.cause, a.cause_txt,
            (a.flow = 'agent_first'
             AND NOT EXISTS (SELECT 1 FROM attempt_transitions t WHERE t.attempt_id = a.id AND t.leg_started = 'visitor')) AS visitor_never_dialed
       FROM callback_requests r
       CROSS JOIN LATERAL (SELECT * FROM call_attempts a WHERE a.request_id = r.id ORDER BY a.n DESC LIMIT 1) a
      WHERE r.status IN ('dialing', 'connected')
        AND a.ended_at < now() - make_interval(secs => $1::double precision / 1000)
        AND NOT EXISTS (SELECT 1 FROM call_attempts l WHERE l.request_id = r.id AND l.ended_at IS NULL)
      ORDER BY a.ended_at LIMIT $2`, [graceMs, limit]);
  return rows.map((r) => ({
    id: r.id, attemptId: r.attempt_id, outcome: r.outcome, cause: r.cause, causeTxt: r.cause_txt, visitorNeverDialed: r.visitor_never_dialed === true,
  }));
}

export async function findRequest(db: Queryable, id: string): Promise<CallbackRequest | null> {
  if (!isUuid(id)) return null;
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM callback_requests WHERE id = $1`, [id]);
  return rows[0] ? toRequest(rows[0]) : null;
}

export async function findRequestTokenHash(db: Queryable, id: string): Promise<Buffer | null> {
  if (!isUuid(id)) return null;
  const { rows } = await db.query(`SELECT token_hash FROM callback_requests WHERE id = $1`, [id]);
  return rows[0]?.token_hash ?? null;
}

/**
 * Moves a request from one of `from` to `to`, recording history. Returns false when the request was not in
 * one of `from` (someone else moved it first): callers treat that as "not mine", which is what makes
 * redelivered jobs and racing workers harmless. Raises IllegalRequestMove, writing nothing, when any of `from`
 * may not move to `to` (request-lifecycle.ts).
 */
export async function transitionRequest(
  db: Queryable, id: string, from: readonly RequestStatus[], to: RequestStatus,
  reason: string | null, extra: { attemptCountDelta?: number; nextAttemptAt?: Date | null; clearEnqueued?: boolean } = {},
): Promise<{ ok: boolean; attemptCount: number }> {
  checkMove(from, to);
  const { rows } = await db.query(
    `WITH upd AS (
       UPDATE callback_requests r SET status = $3, status_reason = $4, updated_at = now(),
         attempt_count = attempt_count + $5,
         next_attempt_at = CASE WHEN $6::boolean THEN $7::timestamptz ELSE next_attempt_at END,
         enqueued_at = CASE WHEN $8::boolean THEN NULL ELSE enqueued_at END,
         finished_at = CASE WHEN $3 IN (${FINAL_SQL}) THEN now() ELSE finished_at END
        WHERE id = $1 AND status = ANY($2::text[])
        RETURNING id, attempt_count, (SELECT status FROM callback_requests WHERE id = $1) AS old_status)
     , hist AS (INSERT INTO request_status_history (request_id, from_status, to_status, reason)
        SELECT id, old_status, $3, $4 FROM upd)
     SELECT attempt_count FROM upd`,
    [id, from, to, reason, extra.attemptCountDelta ?? 0, extra.nextAttemptAt !== undefined, extra.nextAttemptAt ?? null, !!extra.clearEnqueued]);
  return rows[0] ? { ok: true, attemptCount: rows[0].attempt_count } : { ok: false, attemptCount: 0 };
}

/** The statuses a claim takes a request from: whatever the lifecycle lets move to `dialing`. */
const CLAIMABLE_SQL = sqlStatusList(legalFrom('dialing'));

/**
 * The request half of claiming requests for attempts, as common table expressions for the attempt repository's
 * claim statement: on the dial path the request's move and the attempt's insert are one statement (one round trip,
 * one transaction). `input` names a CTE with columns request_id, attempt_id, expect_attempts (null: any) and due_by
 * (null: any). Defines `claimed` (request_id, attempt_id, attempt_count after the claim): the requests moved to
 * `dialing` from a status the lifecycle allows, one more attempt each, with their history rows. Only one claim can
 * move a request out of those statuses, so a redelivered job or a second worker claims nothing. A claim made for a
 * queue job's step also needs the request still at that step (its attempt count is expect_attempts) and due (its
 * next_attempt_at at most due_by): a stale or early job claims nothing.
 */
export function claimRequestsSql(input: string): string {
  return `claimed AS (
       UPDATE callback_requests r SET status = 'dialing', status_reason = NULL, updated_at = now(), attempt_count = r.attempt_count + 1
         FROM ${input} c WHERE r.id = c.request_id AND r.status IN (${CLAIMABLE_SQL})
          AND (c.expect_attempts IS NULL OR r.attempt_count = c.expect_attempts)
          AND (c.due_by IS NULL OR r.next_attempt_at IS NULL OR r.next_attempt_at <= c.due_by)
        RETURNING r.id AS request_id, c.attempt_id, r.attempt_count, (SELECT o.status FROM callback_requests o WHERE o.id = r.id) AS old_status)
     , claimed_history AS (
       INSERT INTO request_status_history (request_id, from_status, to_status, reason) SELECT request_id, old_status, 'dialing', NULL FROM claimed)`;
}

export async function listAttemptViews(db: Queryable, requestId: string): Promise<AttemptView[]> {
  const { rows } = await db.query(
    `SELECT n, state, outcome, cause, cause_txt, started_at, answered_at, ended_at FROM call_attempts WHERE request_id = $1 ORDER BY n`,
    [requestId]);
  return rows.map((r) => ({ n: r.n, state: r.state, outcome: r.outcome, cause: r.cause, causeTxt: r.cause_txt, startedAt: r.started_at, answeredAt: r.answered_at, endedAt: r.ended_at }));
}

/**
 * Whether the agent holding the request's call in progress has put the visitor on hold (the visitor's status
 * view). A read of what the agents module writes (agents.call_held on the agent reserved for the attempt).
 */
export async function isRequestCallHeld(db: Queryable, requestId: string): Promise<boolean> {
  const { rows } = await db.query(
    `SELECT EXISTS (SELECT 1 FROM agents a JOIN call_attempts c ON c.id = a.reserved_attempt
                     WHERE c.request_id = $1 AND c.ended_at IS NULL AND a.call_held) AS held`, [requestId]);
  return rows[0].held === true;
}

export async function listStatusHistory(db: Queryable, requestId: string): Promise<{ from: string | null; to: string; reason: string | null; at: Date }[]> {
  const { rows } = await db.query(
    `SELECT from_status, to_status, reason, at FROM request_status_history WHERE request_id = $1 ORDER BY id`, [requestId]);
  return rows.map((r) => ({ from: r.from_status, to: r.to_status, reason: r.reason, at: r.at }));
}

export interface RequestListFilter { status?: RequestStatus; from?: Date; to?: Date; limit?: number; before?: Date }

export interface RequestListRow {
  id: string; kind: 'callback' | 'webcall'; status: RequestStatus; statusReason: string | null; phoneE164: string | null; visitorName: string | null;
  departmentName: string | null; pageUrl: string | null; source: string; attemptCount: number; message: string | null;
  lastOutcome: string | null; createdAt: Date; scheduledAt: Date | null; finishedAt: Date | null;
}

/** One subscriber's requests, newest first (portal). Always scoped by subscriber: there is no unscoped variant. */
export async function listRequestsForSubscriber(db: Queryable, subscriberId: string, f: RequestListFilter = {}): Promise<RequestListRow[]> {
  const { rows } = await db.query(
    `SELECT r.id, r.kind, r.status, r.status_reason, r.phone_e164, r.visitor_name, d.name AS department_name, r.page_url, r.source, r.message,
            r.attempt_count, r.created_at, r.scheduled_at, r.finished_at,
            (SELECT a.outcome FROM call_attempts a WHERE a.request_id = r.id ORDER BY a.n DESC LIMIT 1) AS last_outcome
       FROM callback_requests r LEFT JOIN departments d ON d.id = r.department_id
      WHERE r.subscriber_id = $1
        AND ($2::text IS NULL OR r.status = $2)
        AND ($3::timestamptz IS NULL OR r.created_at >= $3)
        AND ($4::timestamptz IS NULL OR r.created_at < $4)
        AND ($5::timestamptz IS NULL OR r.created_at < $5)
      ORDER BY r.created_at DESC LIMIT $6`,
    [subscriberId, f.status ?? null, f.from ?? null, f.to ?? null, f.before ?? null, Math.min(Math.max(f.limit ?? 50, 1), 500)]);
  return rows.map((r) => ({
    id: r.id, kind: r.kind, status: r.status, statusReason: r.status_reason, phoneE164: r.phone_e164, visitorName: r.visitor_name,
    departmentName: r.department_name, pageUrl: r.page_url, source: r.source, attemptCount: r.attempt_count, message: r.message,
    lastOutcome: r.last_outcome, createdAt: r.created_at, scheduledAt: r.scheduled_at, finishedAt: r.finished_at,
  }));
}

export interface AgentRequestRow {
  /** `webcall`: the visitor calls from the browser (no phone number); `callback`: the visitor's phone is rung */
  id: string; kind: 'callback' | 'webcall'; status: RequestStatus; phoneE164: string | null; visitorName: string | null; message: string | null;
  subscriberName: string; departmentName: string | null; pageUrl: string | null; referrer: string | null; createdAt: Date; finishedAt: Date | null;
}

function toAgentRequestRow(r: Record<string, any>): AgentRequestRow {
  return {
    id: r.id, kind: r.kind ?? 'callback', status: r.status, phoneE164: r.phone_e164, visitorName: r.visitor_name, message: r.message, subscriberName: r.subscriber_name,
    departmentName: r.department_name, pageUrl: r.page_url, referrer: r.referrer, createdAt: r.created_at, finishedAt: r.finished_at,
  };
}

const AGENT_REQUEST_SELECT = `SELECT r.id, r.kind, r.status, r.phone_e164, r.visitor_name, r.message, s.name AS subscriber_name, d.name AS department_name,
    r.page_url, r.referrer, r.created_at, r.finished_at
  FROM callback_requests r JOIN subscribers s ON s.id = r.subscriber_id LEFT JOIN departments d ON d.id = r.department_id`;

/** Open requests of the given subscribers, oldest first (an agent's queue). Scoped: agents see only their subscribers. */
export async function listOpenRequestsForSubscribers(db: Queryable, subscriberIds: string[], limit = 50): Promise<AgentRequestRow[]> {
  const { rows } = await db.query(
    `${AGENT_REQUEST_SELECT} WHERE r.subscriber_id = ANY($1::uuid[]) AND r.status IN ('queued', 'scheduled', 'dialing', 'connected')
      ORDER BY r.created_at LIMIT $2`, [subscriberIds, Math.min(Math.max(limit, 1), 200)]);
  return rows.map(toAgentRequestRow);
}

/** One request with its subscriber's and department's names, only if it belongs to one of the given subscribers. */
export async function findRequestForSubscribers(db: Queryable, id: string, subscriberIds: string[]): Promise<AgentRequestRow | null> {
  if (!isUuid(id)) return null;
  const { rows } = await db.query(`${AGENT_REQUEST_SELECT} WHERE r.id = $1 AND r.subscriber_id = ANY($2::uuid[])`, [id, subscriberIds]);
  return rows[0] ? toAgentRequestRow(rows[0]) : null;
}

/** Earlier requests from the same number among the given subscribers, newest first (what the agent should know). */
export async function listEarlierRequestsFromNumber(db: Queryable, phoneE164: string, subscriberIds: string[], beforeId: string, limit = 10): Promise<AgentRequestRow[]> {
  const { rows } = await db.query(
    `${AGENT_REQUEST_SELECT} WHERE r.phone_e164 = $1 AND r.subscriber_id = ANY($2::uuid[]) AND r.id <> $3
       AND r.created_at <= (SELECT created_at FROM callback_requests WHERE id = $3)
      ORDER BY r.created_at DESC LIMIT $4`, [phoneE164, subscriberIds, beforeId, Math.min(Math.max(limit, 1), 50)]);
  return rows.map(toAgentRequestRow);
}

/**
 * A request with what deciding to dial it needs. The subscriber and department come as rows in the shape of
 * subscriber.repository.ts's toSubscriber/toDepartment (that module owns their mapping).
 */
export interface RequestToDial {
  request: CallbackRequest;
  subscriberRow: Record<string, unknown> | null;
  departmentRow: Record<string, unknown> | null;
  /**
   * The number is on the global do-not-call list or opted out of this subscriber's calls
   * (src/policy/do-not-call.repository.ts owns both tables).
   */
  onDoNotCall: boolean;
}

/**
 * Requests with their subscribers and departments and their numbers' do-not-call flags, for many requests in
 * one prepared statement (one round trip for a batch of requests on the dial path). Read at dial time,
 * not cached, so a suspension or a do-not-call entry applies to the very next dial. Unknown ids are left out.
 */
export async function findRequestsToDial(db: Queryable, ids: readonly string[]): Promise<Map<string, RequestToDial>> {
  const found = new Map<string, RequestToDial>();
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return found;
  const { rows } = await db.query({
    name: 'callback_requests.find_to_dial',
    text: `SELECT r.id, r.kind, r.subscriber_id, r.department_id, r.phone_e164, r.visitor_name, r.message, r.page_url, r.referrer, host(r.ip) AS ip,
         r.user_agent, r.source, r.scheduled_at, r.status, r.status_reason, r.attempt_count, r.enqueued_at, r.next_attempt_at, r.created_at, r.finished_at,
         s.slug AS s_slug, s.name AS s_name, s.email AS s_email, s.country AS s_country, s.timezone AS s_timezone,
         s.phone_e164 AS s_phone_e164, s.phone_verified_at AS s_phone_verified_at, s.status AS s_status, s.settings AS s_settings,
         d.id AS d_id, d.name AS d_name, d.answered_by AS d_answered_by, d.phone_e164 AS d_phone_e164,
         d.phone_verified_at AS d_phone_verified_at, d.position AS d_position,
         ${optedOutSql('r.subscriber_id', 'r.phone_e164')} AS on_do_not_call
       FROM callback_requests r LEFT JOIN subscribers s ON s.id = r.subscriber_id
       LEFT JOIN departments d ON d.id = r.department_id AND d.subscriber_id = r.subscriber_id
      WHERE r.id = ANY($1::uuid[])`,
    values: [valid],
  });
  for (const r of rows) {
    found.set(r.id, {
      request: toRequest(r),
      subscriberRow: r.s_slug === null ? null : {
        id: r.subscriber_id, slug: r.s_slug, name: r.s_name, email: r.s_email, country: r.s_country, timezone: r.s_timezone,
        phone_e164: r.s_phone_e164, phone_verified_at: r.s_phone_verified_at, status: r.s_status, settings: r.s_settings,
      },
      departmentRow: r.d_id === null ? null : {
        id: r.d_id, subscriber_id: r.subscriber_id, name: r.d_name, answered_by: r.d_answered_by,
        phone_e164: r.d_phone_e164, phone_verified_at: r.d_phone_verified_at, position: r.d_position,
      },
      onDoNotCall: r.on_do_not_call === true,
    });
  }
  return found;
}

export interface RequestMove { id: string; from: readonly RequestStatus[]; to: RequestStatus; reason: string | null }

/**
 * transitionRequest for many requests in one statement, for the moves that only change the status (the
 * worker ending the requests of concurrent calls): the same conditional UPDATE and history row per request.
 * Returns the ids that moved; one that was not in one of its `from` is left as it was. At most one move
 * per request: the caller sends a second one for the same request in a statement of its own. One illegal move
 * (request-lifecycle.ts) raises IllegalRequestMove before the statement: nothing of the batch is written.
 */
export async function moveRequests(db: Queryable, moves: readonly RequestMove[]): Promise<Set<string>> {
  if (moves.length === 0) return new Set();
  for (const m of moves) checkMove(m.from, m.to);
  const { rows } = await db.query({
    name: 'callback_requests.move',
    text: `WITH m AS (SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) AS m(id, from_csv, to_status, reason))
     , upd AS (
       UPDATE callback_requests r SET status = m.to_status, status_reason = m.reason, updated_at = now(),
         finished_at = CASE WHEN m.to_status IN (${FINAL_SQL}) THEN now() ELSE r.finished_at END
         FROM m WHERE r.id = m.id AND r.status = ANY(string_to_array(m.from_csv, ','))
        RETURNING r.id, m.to_status, m.reason, (SELECT o.status FROM callback_requests o WHERE o.id = r.id) AS old_status)
     , hist AS (INSERT INTO request_status_history (request_id, from_status, to_status, reason) SELECT id, old_status, to_status, reason FROM upd)
     SELECT id FROM upd`,
    values: [moves.map((m) => m.id), moves.map((m) => m.from.join(',')), moves.map((m) => m.to), moves.map((m) => m.reason)],
  });
  return new Set(rows.map((r) => r.id as string));
}

/**
 * One request with its department's name, only if it belongs to this subscriber (the portal's request page):
 * another subscriber's id reads as no request at all.
 */
export async function findRequestOfSubscriber(db: Queryable, subscriberId: string, id: string): Promise<(CallbackRequest & { departmentName: string | null }) | null> {
  if (!isUuid(id)) return null;
  const { rows } = await db.query(
    `SELECT r.*, (SELECT d.name FROM departments d WHERE d.id = r.department_id) AS department_name
       FROM (SELECT ${COLUMNS} FROM callback_requests WHERE id = $1 AND subscriber_id = $2) r`, [id, subscriberId]);
  return rows[0] ? { ...toRequest(rows[0]), departmentName: rows[0].department_name } : null;
}
