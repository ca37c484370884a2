import type { Queryable } from '../db/pool.ts';
import type { AttemptOutcome } from '../callbacks/callback.types.ts';

// Owner of call_attempts and attempt_transitions.

export interface AttemptRow {
  id: string;
  requestId: string;
  n: number;
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
    id: r.id, requestId: r.request_id, n: r.n, state: r.state, outcome: r.outcome, workerId: r.worker_id,
    visitorChannelId: r.visitor_channel_id, calleeChannelId: r.callee_channel_id, bridgeId: r.bridge_id,
    startedAt: r.started_at, answeredAt: r.answered_at, endedAt: r.ended_at,
  };
}

export async function insertAttempt(db: Queryable, a: { id: string; requestId: string; n: number; state: string; workerId: string; visitorChannelId: string; bridgeId: string; calleeChannelId: string; calleeKind: string; calleeEndpoint: string }): Promise<void> {
  await db.query(
    `WITH ins AS (
       INSERT INTO call_attempts (id, request_id, n, state, worker_id, visitor_channel_id, bridge_id, callee_channel_id, callee_kind, callee_endpoint)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id)
     INSERT INTO attempt_transitions (attempt_id, from_state, event, to_state) SELECT id, NULL, 'dial', $4 FROM ins`,
    [a.id, a.requestId, a.n, a.state, a.workerId, a.visitorChannelId, a.bridgeId, a.calleeChannelId, a.calleeKind, a.calleeEndpoint]);
}

/** Stores one transition and the attempt's new state (and outcome/times when given) in one statement. */
export async function recordTransition(db: Queryable, t: {
  attemptId: string; from: string; event: string; to: string;
  answered?: boolean; calleeAnswered?: boolean; outcome?: { outcome: AttemptOutcome; cause: number | null; causeTxt: string | null };
}): Promise<void> {
  await db.query(
    `WITH upd AS (
       UPDATE call_attempts SET state = $4,
         answered_at = CASE WHEN $5 THEN COALESCE(answered_at, now()) ELSE answered_at END,
         callee_answered_at = CASE WHEN $6 THEN COALESCE(callee_answered_at, now()) ELSE callee_answered_at END,
         outcome = COALESCE($7, outcome), cause = COALESCE($8, cause), cause_txt = COALESCE($9, cause_txt),
         ended_at = CASE WHEN $4 = 'ended' THEN COALESCE(ended_at, now()) ELSE ended_at END
       WHERE id = $1 RETURNING id)
     INSERT INTO attempt_transitions (attempt_id, from_state, event, to_state) SELECT id, $2, $3, $4 FROM upd`,
    [t.attemptId, t.from, t.event, t.to, !!t.answered, !!t.calleeAnswered, t.outcome?.outcome ?? null, t.outcome?.cause ?? null, t.outcome?.causeTxt ?? null]);
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

export async function listTransitions(db: Queryable, attemptId: string): Promise<{ from: string | null; event: string; to: string }[]> {
  const { rows } = await db.query(`SELECT from_state, event, to_state FROM attempt_transitions WHERE attempt_id = $1 ORDER BY id`, [attemptId]);
  return rows.map((r) => ({ from: r.from_state, event: r.event, to: r.to_state }));
}
