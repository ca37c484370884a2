import type { Queryable } from '../platform/db/pool.ts';
import type { AttemptOutcome } from '../requests/callback.types.ts';
import { claimRequestsSql } from '../requests/callback.repository.ts';
import { CALL_LEG_STARTS, type Leg } from './flow/call-state.ts';
import { AGENT_FIRST_LEG_STARTS } from './flow/agent-first-state.ts';
import { WEB_CALL_LEG_STARTS } from './flow/web-call-state.ts';

// Owner of call_attempts and attempt_transitions. The claim statement also moves the requests it claims: that half
// is the request module's (callback.repository.ts's claimRequestsSql), which owns callback_requests.

/**
 * Which state machine runs an attempt, stored with it when it is claimed: `visitor_first` (call-state.ts: the
 * visitor is rung first, then the subscriber's phone or an agent), `agent_first` (agent-first-state.ts) or
 * `web_inbound` (web-call-state.ts: the visitor called from the browser, the callee is rung).
 */
export type AttemptFlow = 'visitor_first' | 'agent_first' | 'web_inbound';

/** Per flow, the leg a transition into each state starts (the flow modules declare them). */
const LEG_STARTS: { readonly [F in AttemptFlow]: { readonly [state: string]: Leg | undefined } } = {
  visitor_first: CALL_LEG_STARTS,
  agent_first: AGENT_FIRST_LEG_STARTS,
  web_inbound: WEB_CALL_LEG_STARTS,
};

/**
 * LEG_STARTS as an SQL row set `legs(flow, state, leg)`, joined on (attempt flow, state entered) to write
 * attempt_transitions.leg_started with each transition.
 */
const LEGS_SQL = `(VALUES ${Object.entries(LEG_STARTS).flatMap(([flow, states]) =>
  Object.entries(states).map(([state, leg]) => `('${flow}', '${state}', '${leg}')`)).join(', ')}) AS legs(flow, state, leg)`;

export interface AttemptRow {
  id: string;
  requestId: string;
  n: number;
  flow: AttemptFlow;
  state: string;
  outcome: AttemptOutcome | null;
  workerId: string | null;
  visitorChannelId: string | null;
  calleeChannelId: string | null;
  bridgeId: string | null;
  startedAt: Date;
  answeredAt: Date | null;
  endedAt: Date | null;
}

function toAttempt(r: Record<string, any>): AttemptRow {
  return {
    id: r.id, requestId: r.request_id, n: r.n, flow: r.flow, state: r.state, outcome: r.outcome, workerId: r.worker_id,
    visitorChannelId: r.visitor_channel_id, calleeChannelId: r.callee_channel_id, bridgeId: r.bridge_id,
    startedAt: r.started_at, answeredAt: r.answered_at, endedAt: r.ended_at,
  };
}

/** An attempt to store; its number `n` is the request's attempt count after the claim. */
export interface NewAttempt {
  id: string; requestId: string; workerId: string;
  /** The state machine that runs it, and the state it starts in (that machine's first state). */
  flow: AttemptFlow; state: string;
  visitorChannelId: string; bridgeId: string; calleeChannelId: string; calleeKind: string; calleeEndpoint: string;
  /**
   * The step the queue job was for (src/platform/queue/callback-queue.ts's jobStep): claimed only while the request still
   * has this many attempts, and only once its next_attempt_at is at most `dueBy`. Null/absent: no such check
   * (a job for any step, or a direct dial).
   */
  expectAttempts?: number | null;
  dueBy?: Date | null;
}

/** The claim statement (claimAttempts): the request half first, then the attempts of the requests it claimed. */
const CLAIM_SQL = `WITH t AS (
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
                            $11::int[], $12::timestamptz[])
         AS t(request_id, attempt_id, flow, state, worker_id, visitor_channel_id, bridge_id, callee_channel_id, callee_kind, callee_endpoint,
              expect_attempts, due_by))
     , ${claimRequestsSql('t')}
     , ins AS (
       INSERT INTO call_attempts (id, request_id, n, flow, state, worker_id, visitor_channel_id, bridge_id, callee_channel_id, callee_kind, callee_endpoint)
       SELECT t.attempt_id, t.request_id, claimed.attempt_count, t.flow, t.state, t.worker_id, t.visitor_channel_id, t.bridge_id, t.callee_channel_id,
              t.callee_kind, t.callee_endpoint
         FROM claimed JOIN t ON t.attempt_id = claimed.attempt_id RETURNING id, flow, state)
     , tr AS (
       INSERT INTO attempt_transitions (attempt_id, from_state, event, to_state, leg_started)
       SELECT ins.id, NULL, 'dial', ins.state, legs.leg FROM ins LEFT JOIN ${LEGS_SQL} ON legs.flow = ins.flow AND legs.state = ins.state)
     SELECT attempt_id, attempt_count FROM claimed`;

/**
 * Claims requests for one attempt each and stores the attempts, in one statement (one transaction, one round trip
 * on the dial path): each request moves to `dialing` with one more attempt and its history row (the requests
 * module's claimRequestsSql, which decides which requests may be claimed), and only the attempts of requests
 * claimed are stored, each with its first transition. A request another claim took first, or that left the
 * queue job's step or is not due yet (NewAttempt), claims nothing and stores nothing. Returns the attempt count of
 * each request claimed, by attempt id. At most one attempt per request in one call (two would compete for the same
 * row; the caller sends the second on its own).
 */
export async function claimAttempts(db: Queryable, as: readonly NewAttempt[]): Promise<Map<string, number>> {
  const claimed = new Map<string, number>();
  if (as.length === 0) return claimed;
  const col = <K extends keyof NewAttempt>(k: K) => as.map((a) => a[k]);
  const { rows } = await db.query({
    name: 'call_attempts.claim',
    text: CLAIM_SQL,
    values: [col('requestId'), col('id'), col('flow'), col('state'), col('workerId'), col('visitorChannelId'), col('bridgeId'), col('calleeChannelId'),
      col('calleeKind'), col('calleeEndpoint'), as.map((a) => a.expectAttempts ?? null), as.map((a) => a.dueBy ?? null)],
  });
  for (const r of rows) claimed.set(r.attempt_id, r.attempt_count);
  return claimed;
}

export interface TransitionRecord {
  attemptId: string; from: string; event: string; to: string;
  answered?: boolean; calleeAnswered?: boolean; outcome?: { outcome: AttemptOutcome; cause: number | null; causeTxt: string | null };
  /** The callee leg rung from now on (another agent replacing one who did not take the call): its channel and endpoint. */
  callee?: { channelId: string; endpoint: string };
}

/** Stores one transition and the attempt's new state (and outcome/times/callee when given) in one statement. */
export async function recordTransition(db: Queryable, t: TransitionRecord): Promise<void> {
  await recordTransitions(db, [t]);
}

/**
 * Stores transitions of several attempts in one statement (src/calls/session/dial-store.ts gathers those of
 * concurrent calls). At most one transition per attempt: a second one for the same attempt would race the
 * first in the UPDATE; callers with more go one by one. Each transition is stored with the leg it starts, if any
 * (LEG_STARTS, by the attempt's flow and the state entered).
 */
export async function recordTransitions(db: Queryable, ts: readonly TransitionRecord[]): Promise<void> {
  if (ts.length === 0) return;
  await db.query({
    name: 'call_attempts.record_transitions',
    text: `WITH t AS (
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::boolean[], $6::boolean[], $7::text[], $8::int[], $9::text[],
                            $10::text[], $11::text[])
         WITH ORDINALITY AS t(attempt_id, from_state, event, to_state, answered, callee_answered, outcome, cause, cause_txt,
                              callee_channel_id, callee_endpoint, ord))
     , upd AS (
       UPDATE call_attempts a SET state = t.to_state,
         callee_channel_id = COALESCE(t.callee_channel_id, a.callee_channel_id), callee_endpoint = COALESCE(t.callee_endpoint, a.callee_endpoint),
         answered_at = CASE WHEN t.answered THEN COALESCE(a.answered_at, now()) ELSE a.answered_at END,
         callee_answered_at = CASE WHEN t.callee_answered THEN COALESCE(a.callee_answered_at, now()) ELSE a.callee_answered_at END,
         outcome = COALESCE(t.outcome, a.outcome), cause = COALESCE(t.cause, a.cause), cause_txt = COALESCE(t.cause_txt, a.cause_txt),
         ended_at = CASE WHEN t.to_state = 'ended' THEN COALESCE(a.ended_at, now()) ELSE a.ended_at END
         FROM t WHERE a.id = t.attempt_id RETURNING a.id, a.flow, t.from_state, t.event, t.to_state, t.ord)
     INSERT INTO attempt_transitions (attempt_id, from_state, event, to_state, leg_started)
     SELECT upd.id, upd.from_state, upd.event, upd.to_state, legs.leg
       FROM upd LEFT JOIN ${LEGS_SQL} ON legs.flow = upd.flow AND legs.state = upd.to_state ORDER BY upd.ord`,
    values: [
      ts.map((t) => t.attemptId), ts.map((t) => t.from), ts.map((t) => t.event), ts.map((t) => t.to),
      ts.map((t) => !!t.answered), ts.map((t) => !!t.calleeAnswered), ts.map((t) => t.outcome?.outcome ?? null),
      ts.map((t) => t.outcome?.cause ?? null), ts.map((t) => t.outcome?.causeTxt ?? null),
      ts.map((t) => t.callee?.channelId ?? null), ts.map((t) => t.callee?.endpoint ?? null),
    ],
  });
}

export async function findAttempt(db: Queryable, id: string): Promise<AttemptRow | null> {
  const { rows } = await db.query(`SELECT * FROM call_attempts WHERE id = $1`, [id]);
  return rows[0] ? toAttempt(rows[0]) : null;
}

/** Attempts not ended, for reconciliation after a restart or a lost event connection. */
export async function listLiveAttempts(db: Queryable, workerId?: string): Promise<AttemptRow[]> {
  const { rows } = workerId
    ? await db.query(`SELECT * FROM call_attempts WHERE ended_at IS NULL AND worker_id = $1 ORDER BY started_at`, [workerId])
    : await db.query(`SELECT * FROM call_attempts WHERE ended_at IS NULL ORDER BY started_at`);
  return rows.map(toAttempt);
}

/** Attempts in flight across all workers (the operator console and the metrics). */
export async function countLiveAttempts(db: Queryable): Promise<number> {
  const { rows } = await db.query(`SELECT count(*)::int AS n FROM call_attempts WHERE ended_at IS NULL`);
  return rows[0].n;
}

/** Who an attempt rings as its second leg (kind and endpoint), as stored when it was claimed. */
export async function findAttemptCallee(db: Queryable, attemptId: string): Promise<{ kind: string; endpoint: string } | null> {
  const { rows } = await db.query(`SELECT callee_kind, callee_endpoint FROM call_attempts WHERE id = $1`, [attemptId]);
  return rows[0] ? { kind: rows[0].callee_kind, endpoint: rows[0].callee_endpoint } : null;
}

/** Workers other than `me` with attempts in flight, each with the start of its oldest one. */
export async function listWorkersWithLiveAttempts(db: Queryable, me: string): Promise<{ workerId: string; oldestStartedAt: Date }[]> {
  const { rows } = await db.query(
    `SELECT worker_id, min(started_at) AS oldest FROM call_attempts
      WHERE ended_at IS NULL AND worker_id IS NOT NULL AND worker_id <> $1 GROUP BY worker_id`, [me]);
  return rows.map((r) => ({ workerId: r.worker_id, oldestStartedAt: r.oldest }));
}

/**
 * Hands the in-flight attempts of worker `from` to worker `to`, in one statement: when two workers take over
 * the same dead one at once, each attempt goes to exactly one of them. Returns the attempts moved.
 */
export async function transferLiveAttempts(db: Queryable, from: string, to: string): Promise<AttemptRow[]> {
  const { rows } = await db.query(
    `UPDATE call_attempts SET worker_id = $2 WHERE worker_id = $1 AND ended_at IS NULL RETURNING *`, [from, to]);
  return rows.map(toAttempt);
}

export async function listTransitions(db: Queryable, attemptId: string): Promise<{ from: string | null; event: string; to: string }[]> {
  const { rows } = await db.query(`SELECT from_state, event, to_state FROM attempt_transitions WHERE attempt_id = $1 ORDER BY id`, [attemptId]);
  return rows.map((r) => ({ from: r.from_state, event: r.event, to: r.to_state }));
}

export interface AttemptDetail {
  id: string; n: number; state: string; outcome: string | null; cause: number | null; causeTxt: string | null;
  calleeKind: string | null; calleeEndpoint: string | null;
  startedAt: Date; answeredAt: Date | null; calleeAnsweredAt: Date | null; endedAt: Date | null;
  transitions: { from: string | null; event: string; to: string; at: Date }[];
}

/** Every attempt of a request, in order, each with its state transitions (the portal's request page). */
export async function listAttemptDetails(db: Queryable, requestId: string): Promise<AttemptDetail[]> {
  const { rows } = await db.query(
    `SELECT a.id, a.n, a.state, a.outcome, a.cause, a.cause_txt, a.callee_kind, a.callee_endpoint,
            a.started_at, a.answered_at, a.callee_answered_at, a.ended_at,
            coalesce((SELECT json_agg(json_build_object('from', t.from_state, 'event', t.event, 'to', t.to_state, 'at', t.at) ORDER BY t.id)
                        FROM attempt_transitions t WHERE t.attempt_id = a.id), '[]') AS transitions
       FROM call_attempts a WHERE a.request_id = $1 ORDER BY a.n`, [requestId]);
  return rows.map((r) => ({
    id: r.id, n: r.n, state: r.state, outcome: r.outcome, cause: r.cause, causeTxt: r.cause_txt,
    calleeKind: r.callee_kind, calleeEndpoint: r.callee_endpoint, startedAt: r.started_at, answeredAt: r.answered_at,
    calleeAnsweredAt: r.callee_answered_at, endedAt: r.ended_at,
    transitions: (r.transitions as { from: string | null; event: string; to: string; at: string }[]).map((t) => ({ ...t, at: new Date(t.at) })),
  }));
}
