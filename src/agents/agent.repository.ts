import { randomUUID } from 'node:crypto';
import { withTransaction, type Pool, type Queryable } from '../platform/db/pool.ts';
import { isUuid } from '../platform/validation/ids.ts';
import { pickAgent, isFirstInLine, type AgentStatus, type RoutableAgent } from './routing.ts';
import type { Agent, Disposition, OfferOutcome } from './agent.types.ts';
import { OPEN_STATUSES, sqlStatusList } from '../requests/request-lifecycle.ts';
import { ownSoftphoneDevice } from './softphone.ts';

// Owner of agents, agent_subscribers, agent_departments, agent_offers, agent_waits, request_dispositions.

const COLUMNS = `id, name, login, endpoint, skills, languages, status, wrap_up_sec, wrap_up_until, auto_answer, device_state,
  reserved_request, reserved_attempt, reserved_by, idle_since, active, call_muted, call_held`;

function toAgent(r: Record<string, any>): Agent {
  return {
    id: r.id, name: r.name, login: r.login, endpoint: r.endpoint, skills: r.skills, languages: r.languages, status: r.status,
    wrapUpSec: r.wrap_up_sec, wrapUpUntil: r.wrap_up_until, autoAnswer: r.auto_answer, deviceState: r.device_state,
    reservedRequest: r.reserved_request, reservedAttempt: r.reserved_attempt, reservedBy: r.reserved_by, idleSince: r.idle_since, active: r.active,
    callMuted: r.call_muted ?? false, callHeld: r.call_held ?? false,
  };
}

export interface AgentInput {
  name: string; login: string;
  /** The phone offers ring (`PJSIP/<name>`); null: the agent's own browser softphone, `PJSIP/webagent-<12 hex of its id>`. */
  endpoint: string | null;
  skills?: string[]; languages?: string[];
  wrapUpSec?: number | null; autoAnswer?: boolean; passwordHash?: string | null; status?: AgentStatus;
  /** The subscriber whose Team page made it (it alone may change it); none for the operator's pool. */
  ownerSubscriberId?: string | null;
}

/**
 * The device state an agent starts with on `endpoint`: its own softphone is UNAVAILABLE until a browser registers
 * it (AMI knows nothing of it before the console pushes it, so nothing would ever say it is not there); any other
 * phone is UNKNOWN until AMI reports it, as at a worker's start.
 */
const firstDeviceState = (id: string, endpoint: string): string =>
  endpoint.toLowerCase() === ownSoftphoneDevice(id).toLowerCase() ? 'UNAVAILABLE' : 'UNKNOWN';

/**
 * A new agent. Its id is made here so that an agent without a phone of its own (`endpoint` null) is given its own
 * softphone, named after that id. Two agents on one endpoint are refused by the database (23505, agents_endpoint_key
 * or agents_phone_key).
 */
export async function insertAgent(db: Queryable, a: AgentInput): Promise<Agent> {
  const id = randomUUID();
  const endpoint = a.endpoint ?? ownSoftphoneDevice(id);
  const { rows } = await db.query(
    `INSERT INTO agents (id, name, login, endpoint, skills, languages, wrap_up_sec, auto_answer, password_hash, status, owner_subscriber_id, device_state)
     VALUES ($1, $2, lower($3), $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING ${COLUMNS}`,
    [id, a.name, a.login, endpoint, a.skills ?? [], a.languages ?? [], a.wrapUpSec ?? null, a.autoAnswer ?? false, a.passwordHash ?? null, a.status ?? 'away',
      a.ownerSubscriberId ?? null, firstDeviceState(id, endpoint)]);
  return toAgent(rows[0]);
}

/**
 * The operator's edit. A new endpoint starts from its first device state: the old phone's says nothing about it. A
 * new password, or disabling an active agent, moves its session generation on: every session it has ends (see
 * agentSessionIsCurrent). Returns whether they did, so the caller withdraws its softphone.
 */
export async function updateAgent(db: Queryable, id: string, a: Omit<AgentInput, 'login' | 'status' | 'ownerSubscriberId'> & { active?: boolean }): Promise<{ sessionsEnded: boolean }> {
  const endpoint = a.endpoint ?? ownSoftphoneDevice(id);
  const { rows } = await db.query(
    `UPDATE agents a SET name = $2, endpoint = $3, skills = $4, languages = $5, wrap_up_sec = $6, auto_answer = $7,
       password_hash = COALESCE($8, a.password_hash), active = COALESCE($9, a.active),
       device_state = CASE WHEN lower(a.endpoint) = lower($3) THEN a.device_state ELSE $10 END,
       device_state_at = CASE WHEN lower(a.endpoint) = lower($3) THEN a.device_state_at ELSE now() END,
       session_generation = a.session_generation + CASE WHEN $8::text IS NOT NULL OR (a.active AND $9 = false) THEN 1 ELSE 0 END,
       updated_at = now()
      FROM (SELECT id, session_generation FROM agents WHERE id = $1 FOR UPDATE) o
     WHERE a.id = o.id RETURNING a.session_generation <> o.session_generation AS ended`,
    [id, a.name, endpoint, a.skills ?? [], a.languages ?? [], a.wrapUpSec ?? null, a.autoAnswer ?? false, a.passwordHash ?? null, a.active ?? null,
      firstDeviceState(id, endpoint)]);
  return { sessionsEnded: rows[0]?.ended === true };
}

/** The subscriber that made the agent on its Team page; null for the operator's pool (or no such agent). */
export async function agentOwnerId(db: Queryable, id: string): Promise<string | null> {
  if (!isUuid(id)) return null;
  const { rows } = await db.query(`SELECT owner_subscriber_id FROM agents WHERE id = $1`, [id]);
  return rows[0]?.owner_subscriber_id ?? null;
}

export async function findAgent(db: Queryable, id: string): Promise<Agent | null> {
  if (!isUuid(id)) return null;
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM agents WHERE id = $1`, [id]);
  return rows[0] ? toAgent(rows[0]) : null;
}

/**
 * An active agent by login, for the console's login: its password hash, its session generation (the session keeps
 * it), and whether the subscriber that owns it (the Team page's agents) is suspended, which keeps it out.
 */
export async function findAgentLogin(db: Queryable, login: string): Promise<{ agent: Agent; passwordHash: string | null; sessionGeneration: number; ownerSuspended: boolean } | null> {
  const { rows } = await db.query(
    `SELECT ${COLUMNS.split(',').map((c) => `a.${c.trim()}`).join(', ')}, a.password_hash, a.session_generation, o.status IS DISTINCT FROM 'active' AND a.owner_subscriber_id IS NOT NULL AS owner_suspended
       FROM agents a LEFT JOIN subscribers o ON o.id = a.owner_subscriber_id WHERE a.login = lower($1) AND a.active`, [login]);
  const r = rows[0];
  return r ? { agent: toAgent(r), passwordHash: r.password_hash, sessionGeneration: r.session_generation, ownerSuspended: r.owner_suspended } : null;
}

/**
 * Whether an agent's session still holds: the agent exists and is active, its session generation is the one the
 * session logged in with (a new password or disabling moves it on), and the subscriber owning it, if any, is not
 * suspended. Checked on every console and desk request.
 */
export async function agentSessionIsCurrent(db: Queryable, agentId: string, gen: number): Promise<boolean> {
  if (!isUuid(agentId)) return false;
  const { rows } = await db.query(
    `SELECT 1 FROM agents a LEFT JOIN subscribers o ON o.id = a.owner_subscriber_id
      WHERE a.id = $1 AND a.active AND a.session_generation = $2 AND (a.owner_subscriber_id IS NULL OR o.status = 'active')`, [agentId, gen]);
  return rows.length > 0;
}

export async function listAgents(db: Queryable): Promise<(Agent & { subscriberNames: string[]; departmentNames: string[] })[]> {
  const { rows } = await db.query(
    `SELECT ${COLUMNS.split(',').map((c) => `a.${c.trim()}`).join(', ')},
       ARRAY(SELECT s.name FROM agent_subscribers x JOIN subscribers s ON s.id = x.subscriber_id WHERE x.agent_id = a.id ORDER BY s.name) AS subscriber_names,
       ARRAY(SELECT s.name || ' / ' || d.name FROM agent_departments x JOIN departments d ON d.id = x.department_id JOIN subscribers s ON s.id = d.subscriber_id
              WHERE x.agent_id = a.id ORDER BY 1) AS department_names
       FROM agents a ORDER BY a.name`);
  return rows.map((r) => ({ ...toAgent(r), subscriberNames: r.subscriber_names, departmentNames: r.department_names }));
}

/** Replaces an agent's assignments; departments must belong to one of the assigned subscribers. */
export async function setAssignments(db: Queryable, agentId: string, subscriberIds: string[], departmentIds: string[]): Promise<void> {
  await db.query(`DELETE FROM agent_subscribers WHERE agent_id = $1`, [agentId]);
  await db.query(`DELETE FROM agent_departments WHERE agent_id = $1`, [agentId]);
  await db.query(`INSERT INTO agent_subscribers (agent_id, subscriber_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING`, [agentId, subscriberIds]);
  await db.query(
    `INSERT INTO agent_departments (agent_id, department_id)
       SELECT $1, d.id FROM departments d WHERE d.id = ANY($2::uuid[]) AND d.subscriber_id = ANY($3::uuid[]) ON CONFLICT DO NOTHING`,
    [agentId, departmentIds, subscriberIds]);
}

export async function assignedSubscriberIds(db: Queryable, agentId: string): Promise<string[]> {
  const { rows } = await db.query(`SELECT subscriber_id FROM agent_subscribers WHERE agent_id = $1`, [agentId]);
  return rows.map((r) => r.subscriber_id);
}

/**
 * The subscribers whose work the agent sees and does now: those it is assigned to that are not suspended. A
 * suspended subscriber's queue, calls and chats are closed to its agents (the assignment itself stays).
 */
export async function workingSubscriberIds(db: Queryable, agentId: string): Promise<string[]> {
  const { rows } = await db.query(
    `SELECT x.subscriber_id FROM agent_subscribers x JOIN subscribers s ON s.id = x.subscriber_id WHERE x.agent_id = $1 AND s.status = 'active'`, [agentId]);
  return rows.map((r) => r.subscriber_id);
}

/** The agents a subscriber owns (made on its Team page). */
export async function ownAgentIds(db: Queryable, subscriberId: string): Promise<string[]> {
  const { rows } = await db.query(`SELECT id FROM agents WHERE owner_subscriber_id = $1`, [subscriberId]);
  return rows.map((r) => r.id);
}

export async function assignedDepartmentIds(db: Queryable, agentId: string): Promise<string[]> {
  const { rows } = await db.query(`SELECT department_id FROM agent_departments WHERE agent_id = $1`, [agentId]);
  return rows.map((r) => r.department_id);
}

/**
 * Status set by the agent. Becoming available starts the idle clock (longest idle is offered first); wrap-up
 * chosen by hand lasts the agent's wrap-up time like the one after a call.
 */
export async function setAgentStatus(db: Queryable, agentId: string, status: AgentStatus, globalWrapUpSec = 30): Promise<void> {
  await db.query(
    `UPDATE agents SET status = $2,
       wrap_up_until = CASE WHEN $2 = 'wrap_up' THEN now() + make_interval(secs => COALESCE(wrap_up_sec, $3)) ELSE NULL END,
       idle_since = CASE WHEN $2 = 'available' AND status <> 'available' THEN now() ELSE idle_since END, updated_at = now()
      WHERE id = $1`, [agentId, status, globalWrapUpSec]);
}

/** Wrap-up whose time is over counts as available; store that so the console shows it. */
export async function settleWrapUp(db: Queryable, agentId: string): Promise<void> {
  await db.query(`UPDATE agents SET status = 'available', wrap_up_until = NULL WHERE id = $1 AND status = 'wrap_up' AND wrap_up_until <= now()`, [agentId]);
}

/**
 * Every wrap-up whose end has passed becomes available (the worker's periodic pass: a wrap-up ends on time
 * whether or not anyone looks, across restarts, since the end is stored). Returns the agents freed.
 */
export async function settleExpiredWrapUps(db: Queryable): Promise<string[]> {
  const { rows } = await db.query(
    `UPDATE agents SET status = 'available', wrap_up_until = NULL, updated_at = now()
      WHERE status = 'wrap_up' AND wrap_up_until <= now() RETURNING id`);
  return rows.map((r) => r.id);
}

/** Mute / hold of the call the agent holds now (only while that reservation lasts). */
export async function setCallControls(db: Queryable, agentId: string, attemptId: string, c: { muted?: boolean; held?: boolean }): Promise<void> {
  await db.query(
    `UPDATE agents SET call_muted = COALESCE($3, call_muted), call_held = COALESCE($4, call_held) WHERE id = $1 AND reserved_attempt = $2`,
    [agentId, attemptId, c.muted ?? null, c.held ?? null]);
}

/** Device state from AMI, keyed by the endpoint (AMI's Device, e.g. PJSIP/agent1). Returns the agents changed. */
export async function setDeviceState(db: Queryable, device: string, state: string, node: string | null = null): Promise<string[]> {
  // With `node`, only agents whose phone is on that node or on any (another node's AMI sees them unregistered).
  const { rows } = await db.query(
    `UPDATE agents SET device_state = $2, device_state_at = now()
      WHERE lower(endpoint) = lower($1) AND device_state <> $2 AND ($3::text IS NULL OR asterisk_node IS NULL OR asterisk_node = $3)
      RETURNING id`,
    [device, state.toUpperCase(), node]);
  return rows.map((r) => r.id);
}

const BLOCKED_STATES = ['UNAVAILABLE', 'INVALID', 'INUSE', 'BUSY', 'RINGING', 'RINGINUSE', 'ONHOLD'];

export type ReserveResult = { agent: Agent } | { agent: null; reason: 'not_first_in_line' | 'none_available' };

/**
 * Reserves the longest-idle eligible agent for a request. The pick is pure (routing.ts); the claim is one
 * conditional UPDATE, so two workers racing for the same agent cannot both win (the loser re-picks).
 */
export async function reserveAgent(db: Queryable, r: {
  requestId: string; attemptId: string; subscriberId: string; departmentId: string | null; workerId: string; mode: 'agent_first' | 'customer_first';
  /** The Asterisk node the call rings on: only agents whose phone is on it, or on any node, can take it. */
  node?: string | null;
}): Promise<ReserveResult> {
  const { rows: waiting } = await db.query(
    `SELECT w.request_id, w.since FROM agent_waits w JOIN callback_requests q ON q.id = w.request_id
      WHERE w.subscriber_id = $1 AND q.department_id IS NOT DISTINCT FROM $2 AND q.status IN ('queued', 'scheduled')`,
    [r.subscriberId, r.departmentId]);
  const mine = waiting.find((w) => w.request_id === r.requestId);
  if (!isFirstInLine(waiting.map((w) => ({ requestId: w.request_id, since: w.since })), r.requestId, mine?.since ?? new Date())) {
    return { agent: null, reason: 'not_first_in_line' };
  }
  const { rows: excludedRows } = await db.query(
    `SELECT DISTINCT agent_id FROM agent_offers WHERE request_id = $1 AND outcome IN ('declined', 'no_answer', 'busy', 'failed')`, [r.requestId]);
  const excluded = new Set<string>(excludedRows.map((x) => x.agent_id));
  for (let round = 0; round < 5; round++) {
    const { rows } = await db.query(
      `SELECT a.id, a.status, a.wrap_up_until, a.device_state, a.idle_since, a.active, a.reserved_request,
         ARRAY(SELECT d.id FROM agent_departments x JOIN departments d ON d.id = x.department_id
                WHERE x.agent_id = a.id AND d.subscriber_id = $1) AS department_ids
         FROM agents a JOIN agent_subscribers s ON s.agent_id = a.id
        WHERE s.subscriber_id = $1 AND a.active AND a.reserved_request IS NULL AND a.reserved_attempt IS NULL
          AND ($2::text IS NULL OR a.asterisk_node IS NULL OR a.asterisk_node = $2)`, [r.subscriberId, r.node ?? null]);
    const candidates: RoutableAgent[] = rows.map((x) => ({
      id: x.id, status: x.status, wrapUpUntil: x.wrap_up_until, deviceState: x.device_state, idleSince: x.idle_since,
      active: x.active, reservedRequest: x.reserved_request, departmentIds: x.department_ids,
    }));
    const pick = pickAgent(candidates, { departmentId: r.departmentId, excluded, now: new Date() });
    if (!pick) return { agent: null, reason: 'none_available' };
    const { rows: won } = await db.query(
      `UPDATE agents SET reserved_request = $2, reserved_attempt = $3, reserved_by = $4, reserved_at = now(),
         status = CASE WHEN status = 'wrap_up' THEN 'available' ELSE status END, wrap_up_until = NULL
        WHERE id = $1 AND reserved_request IS NULL AND reserved_attempt IS NULL AND active
          AND (status = 'available' OR (status = 'wrap_up' AND wrap_up_until <= now()))
          AND NOT (device_state = ANY($5::text[]))
          AND NOT EXISTS (SELECT 1 FROM agents o WHERE o.reserved_request = $2)
        RETURNING ${COLUMNS}`,
      [pick.id, r.requestId, r.attemptId, r.workerId, BLOCKED_STATES]).catch((err) => {
      // The unique index on reserved_request: another worker reserved someone for this very request.
      if ((err as { code?: string }).code === '23505') return { rows: [] };
      throw err;
    });
    if (won[0]) {
      await db.query(`INSERT INTO agent_offers (agent_id, request_id, attempt_id, mode) VALUES ($1, $2, $3, $4)`, [pick.id, r.requestId, r.attemptId, r.mode]);
      await db.query(`DELETE FROM agent_waits WHERE request_id = $1`, [r.requestId]);
      return { agent: toAgent(won[0]) };
    }
    excluded.add(pick.id);
  }
  return { agent: null, reason: 'none_available' };
}

/** The node an agent's phone is registered on (null: any node, or no such agent). */
export async function agentNode(db: Queryable, agentId: string): Promise<string | null> {
  const { rows } = await db.query(`SELECT asterisk_node FROM agents WHERE id = $1`, [agentId]);
  return rows[0]?.asterisk_node ?? null;
}

/** Puts an agent's phone on one Asterisk node (null: reachable from any). */
export async function setAgentNode(db: Queryable, agentId: string, node: string | null): Promise<void> {
  await db.query(`UPDATE agents SET asterisk_node = $2 WHERE id = $1`, [agentId, node]);
}

/**
 * Ends a reservation. After a conversation the agent goes to wrap-up; after a missed offer (no answer, no
 * response in the console) to away, so a walked-away agent is not rung again and again.
 */
export async function releaseAgent(db: Queryable, r: { agentId: string; requestId: string; outcome: OfferOutcome; globalWrapUpSec: number }): Promise<boolean> {
  const talked = r.outcome === 'connected';
  const missed = r.outcome === 'no_answer';
  const { rowCount } = await db.query(
    `UPDATE agents SET reserved_request = NULL, reserved_attempt = NULL, reserved_by = NULL, reserved_at = NULL, idle_since = now(),
       call_muted = false, call_held = false,
       status = CASE WHEN $3 AND status <> 'away' THEN 'wrap_up' WHEN $4 THEN 'away' ELSE status END,
       wrap_up_until = CASE WHEN $3 AND status <> 'away' THEN now() + make_interval(secs => COALESCE(wrap_up_sec, $5)) ELSE wrap_up_until END,
       updated_at = now()
      WHERE id = $1 AND reserved_request = $2`,
    [r.agentId, r.requestId, talked, missed, r.globalWrapUpSec]);
  await db.query(
    `UPDATE agent_offers SET outcome = COALESCE(outcome, $3), ended_at = COALESCE(ended_at, now())
      WHERE id = (SELECT id FROM agent_offers WHERE agent_id = $1 AND request_id = $2 ORDER BY id DESC LIMIT 1)`,
    [r.agentId, r.requestId, r.outcome]);
  return (rowCount ?? 0) > 0;
}

const TRANSFERABLE = `a.active AND a.reserved_request IS NULL AND a.reserved_attempt IS NULL
  AND (a.status = 'available' OR (a.status = 'wrap_up' AND a.wrap_up_until <= now())) AND NOT (a.device_state = ANY($BLOCKED::text[]))
  AND EXISTS (SELECT 1 FROM agent_subscribers s WHERE s.agent_id = a.id AND s.subscriber_id = $SUB)`;

/** Agents a call of this subscriber can be transferred to now (assigned to it, available, free), but `exceptAgentId`. */
export async function listTransferTargets(db: Queryable, subscriberId: string, exceptAgentId: string): Promise<{ id: string; label: string }[]> {
  const { rows } = await db.query(
    `SELECT a.id, a.name FROM agents a WHERE a.id <> $1 AND ${TRANSFERABLE.replace('$BLOCKED', '$2').replace('$SUB', '$3')} ORDER BY a.name LIMIT 100`,
    [exceptAgentId, BLOCKED_STATES, subscriberId]);
  return rows.map((r) => ({ id: r.id, label: r.name }));
}

/**
 * Reserves this agent as the target of a transfer of an attempt in progress: one conditional UPDATE, so an agent
 * is never double-booked (its reserved_attempt set, reserved_request left to the agent who holds the call until the
 * target answers). Null when the agent is not assigned to the subscriber, not available, or already busy.
 */
export async function reserveTransferTarget(db: Queryable, r: { agentId: string; subscriberId: string; attemptId: string; workerId: string }): Promise<Agent | null> {
  if (!isUuid(r.agentId)) return null;
  const { rows } = await db.query(
    `UPDATE agents a SET reserved_attempt = $2, reserved_by = $3, reserved_at = now(),
       status = CASE WHEN a.status = 'wrap_up' THEN 'available' ELSE a.status END, wrap_up_until = NULL
      WHERE a.id = $1 AND ${TRANSFERABLE.replace('$BLOCKED', '$4').replace('$SUB', '$5')}
      RETURNING ${COLUMNS.split(',').map((c) => `a.${c.trim()}`).join(', ')}`,
    [r.agentId, r.attemptId, r.workerId, BLOCKED_STATES, r.subscriberId]);
  return rows[0] ? toAgent(rows[0]) : null;
}

/** The name of the agent being rung to take this attempt over, if any. */
export async function transferTargetOf(db: Queryable, attemptId: string): Promise<string | null> {
  const { rows } = await db.query(`SELECT name FROM agents WHERE reserved_attempt = $1 AND reserved_request IS NULL LIMIT 1`, [attemptId]);
  return rows[0]?.name ?? null;
}

/** A transfer target that did not take the call is free again. */
export async function releaseTransferTarget(db: Queryable, agentId: string, attemptId: string): Promise<void> {
  await db.query(
    `UPDATE agents SET reserved_attempt = NULL, reserved_by = NULL, reserved_at = NULL WHERE id = $1 AND reserved_attempt = $2 AND reserved_request IS NULL`,
    [agentId, attemptId]);
}

/**
 * The transfer target answered: in one transaction the first agent's reservation ends (wrap-up, offer `connected`)
 * and the target holds the request, with an offer of its own (its disposition, its call records).
 */
export async function handOverCall(pool: Pool, r: { fromAgentId: string; toAgentId: string; requestId: string; attemptId: string; globalWrapUpSec: number }): Promise<boolean> {
  return withTransaction(pool, async (tx) => {
    await releaseAgent(tx, { agentId: r.fromAgentId, requestId: r.requestId, outcome: 'connected', globalWrapUpSec: r.globalWrapUpSec });
    const { rowCount } = await tx.query(
      `UPDATE agents SET reserved_request = $2, updated_at = now() WHERE id = $1 AND reserved_attempt = $3 AND reserved_request IS NULL`,
      [r.toAgentId, r.requestId, r.attemptId]);
    if (!rowCount) return false;
    await tx.query(`INSERT INTO agent_offers (agent_id, request_id, attempt_id, mode) VALUES ($1, $2, $3, 'agent_first')`, [r.toAgentId, r.requestId, r.attemptId]);
    return true;
  });
}

/** Marks the open offer declined now, before the agent's leg is hung up (whose end would read as no answer). */
export async function markOfferDeclined(db: Queryable, agentId: string, attemptId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE agent_offers SET outcome = 'declined' WHERE agent_id = $1 AND attempt_id = $2 AND outcome IS NULL`, [agentId, attemptId]);
  return (rowCount ?? 0) > 0;
}

/** Reservations a worker held when it stopped: its calls are gone with it. */
export async function releaseReservationsOf(db: Queryable, workerId: string): Promise<number> {
  const { rowCount } = await db.query(
    `WITH rel AS (
       UPDATE agents SET reserved_request = NULL, reserved_attempt = NULL, reserved_by = NULL, reserved_at = NULL, idle_since = now(), call_muted = false, call_held = false
        WHERE reserved_by = $1 RETURNING id)
     UPDATE agent_offers SET outcome = 'canceled', ended_at = now() WHERE outcome IS NULL AND agent_id IN (SELECT id FROM rel)`, [workerId]);
  return rowCount ?? 0;
}

/**
 * Puts a request in line for an agent (keeps its first place when it is already waiting). Null when an agent is
 * already reserved for it: another pass (the wake-up of an agent freeing up) took it in the meantime, and a line
 * entry written now would outlive the call.
 */
export async function waitForAgent(db: Queryable, requestId: string, subscriberId: string): Promise<Date | null> {
  const { rows } = await db.query(
    `INSERT INTO agent_waits (request_id, subscriber_id)
     SELECT $1, $2 WHERE NOT EXISTS (SELECT 1 FROM agents WHERE reserved_request = $1)
     ON CONFLICT (request_id) DO UPDATE SET request_id = EXCLUDED.request_id RETURNING since`, [requestId, subscriberId]);
  return rows[0]?.since ?? null;
}

export async function stopWaiting(db: Queryable, requestId: string): Promise<void> {
  await db.query(`DELETE FROM agent_waits WHERE request_id = $1`, [requestId]);
}

/** Requests waiting for an agent among these subscribers, oldest first (for the wake-up when an agent frees up). */
export async function listWaiting(db: Queryable, subscriberIds: string[]): Promise<{ requestId: string; since: Date }[]> {
  const { rows } = await db.query(
    `SELECT w.request_id, w.since FROM agent_waits w JOIN callback_requests q ON q.id = w.request_id
      WHERE w.subscriber_id = ANY($1::uuid[]) AND q.status IN ('queued', 'scheduled') ORDER BY w.since`, [subscriberIds]);
  return rows.map((r) => ({ requestId: r.request_id, since: r.since }));
}

export async function listOffers(db: Queryable, requestId: string): Promise<{ agentId: string; mode: string; outcome: OfferOutcome | null; attemptId: string | null }[]> {
  const { rows } = await db.query(`SELECT agent_id, mode, outcome, attempt_id FROM agent_offers WHERE request_id = $1 ORDER BY id`, [requestId]);
  return rows.map((r) => ({ agentId: r.agent_id, mode: r.mode, outcome: r.outcome, attemptId: r.attempt_id }));
}

/** Whether this agent was offered the request (only they may write its disposition). */
export async function agentWasOffered(db: Queryable, agentId: string, requestId: string): Promise<boolean> {
  const { rows } = await db.query(`SELECT 1 FROM agent_offers WHERE agent_id = $1 AND request_id = $2 LIMIT 1`, [agentId, requestId]);
  return rows.length > 0;
}

/** The last request this agent talked to (for disposition after the call). */
export async function lastConnectedRequest(db: Queryable, agentId: string): Promise<string | null> {
  const { rows } = await db.query(
    `SELECT request_id FROM agent_offers WHERE agent_id = $1 AND outcome = 'connected' ORDER BY id DESC LIMIT 1`, [agentId]);
  return rows[0]?.request_id ?? null;
}

export async function saveDisposition(db: Queryable, d: { requestId: string; agentId: string; disposition: Disposition; notes: string }): Promise<void> {
  await db.query(
    `INSERT INTO request_dispositions (request_id, agent_id, disposition, notes) VALUES ($1, $2, $3, $4)
     ON CONFLICT (request_id) DO UPDATE SET agent_id = $2, disposition = $3, notes = $4, updated_at = now()`,
    [d.requestId, d.agentId, d.disposition, d.notes]);
}

export async function findDisposition(db: Queryable, requestId: string): Promise<{ disposition: Disposition; notes: string; agentId: string | null } | null> {
  const { rows } = await db.query(`SELECT disposition, notes, agent_id FROM request_dispositions WHERE request_id = $1`, [requestId]);
  return rows[0] ? { disposition: rows[0].disposition, notes: rows[0].notes, agentId: rows[0].agent_id } : null;
}

/** Subscribers with their departments, for the operator's assignment and routing forms (read only). */
export async function listSubscribersForRouting(db: Queryable): Promise<{
  id: string; name: string; slug: string; settings: Record<string, unknown>;
  departments: { id: string; name: string; answeredBy: 'phone' | 'agents'; hasPhone: boolean }[];
}[]> {
  const { rows } = await db.query(
    `SELECT s.id, s.name, s.slug, s.settings,
       COALESCE((SELECT json_agg(json_build_object('id', d.id, 'name', d.name, 'answeredBy', d.answered_by, 'hasPhone', d.phone_e164 IS NOT NULL) ORDER BY d.position, d.name)
                   FROM departments d WHERE d.subscriber_id = s.id), '[]') AS departments
       FROM subscribers s ORDER BY s.name LIMIT 500`);
  return rows.map((r) => ({ id: r.id, name: r.name, slug: r.slug, settings: r.settings ?? {}, departments: r.departments }));
}

/**
 * Safety net for reservations nobody will release (a worker that died and never came back): the request is
 * over, or the reservation is older than any call can last. Returns the agents freed.
 */
export async function releaseStaleReservations(db: Queryable, maxAgeSec: number): Promise<string[]> {
  const { rows } = await db.query(
    `WITH rel AS (
       UPDATE agents a SET reserved_request = NULL, reserved_attempt = NULL, reserved_by = NULL, reserved_at = NULL, idle_since = now(), call_muted = false, call_held = false
        WHERE (a.reserved_request IS NOT NULL OR a.reserved_attempt IS NOT NULL) AND a.reserved_at < now() - interval '30 seconds'
          AND (a.reserved_at < now() - make_interval(secs => $1)
               OR (a.reserved_request IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM callback_requests r WHERE r.id = a.reserved_request AND r.status IN (${sqlStatusList(OPEN_STATUSES)})))
               -- A transfer target being rung: held only while its call lasts.
               OR (a.reserved_request IS NULL AND NOT EXISTS (SELECT 1 FROM call_attempts c WHERE c.id = a.reserved_attempt AND c.ended_at IS NULL)))
        RETURNING a.id)
     , off AS (UPDATE agent_offers SET outcome = 'canceled', ended_at = now() WHERE outcome IS NULL AND agent_id IN (SELECT id FROM rel))
     SELECT id FROM rel`, [maxAgeSec]);
  return rows.map((r) => r.id);
}

/** Who was offered a request and how each offer ended, and its disposition, with agents' names (the portal's request page). */
export async function requestAgentHistory(db: Queryable, requestId: string): Promise<{
  offers: { agentName: string; mode: string; outcome: OfferOutcome | null; offeredAt: Date; endedAt: Date | null }[];
  disposition: { disposition: Disposition; notes: string; agentName: string | null; updatedAt: Date } | null;
}> {
  const [offers, disposition] = await Promise.all([
    db.query(`SELECT a.name, o.mode, o.outcome, o.offered_at, o.ended_at FROM agent_offers o JOIN agents a ON a.id = o.agent_id
               WHERE o.request_id = $1 ORDER BY o.id`, [requestId]),
    db.query(`SELECT d.disposition, d.notes, a.name, d.updated_at FROM request_dispositions d LEFT JOIN agents a ON a.id = d.agent_id
               WHERE d.request_id = $1`, [requestId]),
  ]);
  const d = disposition.rows[0];
  return {
    offers: offers.rows.map((r) => ({ agentName: r.name, mode: r.mode, outcome: r.outcome, offeredAt: r.offered_at, endedAt: r.ended_at })),
    disposition: d ? { disposition: d.disposition, notes: d.notes, agentName: d.name, updatedAt: d.updated_at } : null,
  };
}

/**
 * Who can answer a subscriber's agent calls: whether some active agent assigned to it takes every department
 * (no department rows for this subscriber), and the departments named by the others.
 */
export async function agentCoverage(db: Queryable, subscriberId: string): Promise<{ anyDepartment: boolean; departmentIds: string[] }> {
  const { rows } = await db.query(
    `SELECT array_remove(array_agg(d.id), NULL) AS deps
       FROM agents a JOIN agent_subscribers s ON s.agent_id = a.id AND s.subscriber_id = $1
       LEFT JOIN agent_departments ad ON ad.agent_id = a.id
       LEFT JOIN departments d ON d.id = ad.department_id AND d.subscriber_id = $1
      WHERE a.active GROUP BY a.id`, [subscriberId]);
  const deps = rows.map((r) => r.deps as string[]);
  return { anyDepartment: deps.some((d) => d.length === 0), departmentIds: [...new Set(deps.flat())] };
}

// ---- a subscriber's own team (the portal's Team page): every query is scoped to that subscriber

/** An agent as its subscriber's Team page shows it: `own` when that subscriber made it (and may change it). */
export type TeamAgent = Agent & { own: boolean; sharedWith: number; departmentIds: string[] };

const TEAM_SELECT = `SELECT ${COLUMNS.split(',').map((c) => `a.${c.trim()}`).join(', ')},
    a.owner_subscriber_id = $1 AS own,
    (SELECT count(*) FROM agent_subscribers o WHERE o.agent_id = a.id AND o.subscriber_id <> $1)::int AS shared_with,
    ARRAY(SELECT x.department_id FROM agent_departments x JOIN departments d ON d.id = x.department_id
           WHERE x.agent_id = a.id AND d.subscriber_id = $1) AS department_ids
  FROM agents a JOIN agent_subscribers m ON m.agent_id = a.id AND m.subscriber_id = $1`;

const toTeamAgent = (r: Record<string, any>): TeamAgent =>
  ({ ...toAgent(r), own: r.own === true, sharedWith: r.shared_with, departmentIds: r.department_ids });

/** The agents assigned to a subscriber (its own and the operator's pool agents), by name. */
export async function listTeam(db: Queryable, subscriberId: string): Promise<TeamAgent[]> {
  const { rows } = await db.query(`${TEAM_SELECT} ORDER BY a.name, a.login`, [subscriberId]);
  return rows.map(toTeamAgent);
}

/** One agent assigned to this subscriber; null for any other id (another subscriber's agent reads as unknown). */
export async function findTeamAgent(db: Queryable, subscriberId: string, agentId: string): Promise<TeamAgent | null> {
  if (!isUuid(agentId)) return null;
  const { rows } = await db.query(`${TEAM_SELECT} WHERE a.id = $2`, [subscriberId, agentId]);
  return rows[0] ? toTeamAgent(rows[0]) : null;
}

/**
 * Makes an agent owned by a subscriber and assigned to it only (one transaction: `db` is a client in one). It answers
 * on its own browser softphone: a subscriber never names an endpoint, since any name it typed could be another
 * agent's phone or softphone, or the trunk. Only the operator gives it a desk phone (/admin/agents).
 */
export async function insertTeamAgent(db: Queryable, subscriberId: string, a: Omit<AgentInput, 'endpoint' | 'ownerSubscriberId'>): Promise<Agent> {
  const agent = await insertAgent(db, { ...a, endpoint: null, ownerSubscriberId: subscriberId });
  await db.query(`INSERT INTO agent_subscribers (agent_id, subscriber_id) VALUES ($1, $2)`, [agent.id, subscriberId]);
  return agent;
}

/**
 * Enables or disables an agent this subscriber owns; false when it owns no such agent. Disabling ends every
 * session of the agent (its session generation moves on).
 */
export async function setOwnAgentActive(db: Queryable, subscriberId: string, agentId: string, active: boolean): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE agents SET active = $3, session_generation = session_generation + CASE WHEN $3 THEN 0 ELSE 1 END, updated_at = now()
      WHERE id = $1 AND owner_subscriber_id = $2`, [agentId, subscriberId, active]);
  return (rowCount ?? 0) > 0;
}

/** Sets an agent's password (its own one-time reset link was used up); every session of the agent ends. */
export async function setAgentPassword(db: Queryable, agentId: string, passwordHash: string): Promise<void> {
  await db.query(`UPDATE agents SET password_hash = $2, session_generation = session_generation + 1, updated_at = now() WHERE id = $1`, [agentId, passwordHash]);
}

/** Sets the password of an agent this subscriber owns, ending every session of the agent; false when it owns no such agent. */
export async function setOwnAgentPassword(db: Queryable, subscriberId: string, agentId: string, passwordHash: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE agents SET password_hash = $3, session_generation = session_generation + 1, updated_at = now() WHERE id = $1 AND owner_subscriber_id = $2`,
    [agentId, subscriberId, passwordHash]);
  return (rowCount ?? 0) > 0;
}

/**
 * Replaces which of this subscriber's departments an agent it owns answers (none = all of them); rows for other
 * subscribers' departments are left alone, and ids that are not this subscriber's departments are ignored.
 */
export async function setOwnAgentDepartments(db: Queryable, subscriberId: string, agentId: string, departmentIds: string[]): Promise<boolean> {
  const { rowCount } = await db.query(`SELECT 1 FROM agents WHERE id = $1 AND owner_subscriber_id = $2 FOR UPDATE`, [agentId, subscriberId]);
  if (!rowCount) return false;
  await db.query(
    `DELETE FROM agent_departments x USING departments d WHERE x.agent_id = $1 AND d.id = x.department_id AND d.subscriber_id = $2`,
    [agentId, subscriberId]);
  await db.query(
    `INSERT INTO agent_departments (agent_id, department_id)
       SELECT $1, d.id FROM departments d WHERE d.id = ANY($3::uuid[]) AND d.subscriber_id = $2 ON CONFLICT DO NOTHING`,
    [agentId, subscriberId, departmentIds]);
  return true;
}

/**
 * A subscriber's agents in the order a new chat is offered to them: routing's own pick (available, department,
 * longest idle first) taken again and again. A chat needs no phone: a call in progress or the device's state
 * keeps no agent from chatting.
 */
export async function chatRoutingOrder(db: Queryable, subscriberId: string, departmentId: string | null): Promise<string[]> {
  const { rows } = await db.query(
    `SELECT a.id, a.status, a.wrap_up_until, a.idle_since, a.active,
       ARRAY(SELECT d.id FROM agent_departments x JOIN departments d ON d.id = x.department_id
              WHERE x.agent_id = a.id AND d.subscriber_id = $1) AS department_ids
       FROM agents a JOIN agent_subscribers s ON s.agent_id = a.id
      WHERE s.subscriber_id = $1 AND a.active`, [subscriberId]);
  const candidates: RoutableAgent[] = rows.map((x) => ({
    id: x.id, status: x.status, wrapUpUntil: x.wrap_up_until, deviceState: 'NOT_INUSE', idleSince: x.idle_since,
    active: x.active, reservedRequest: null, departmentIds: x.department_ids,
  }));
  const order: string[] = [];
  const excluded = new Set<string>();
  const now = new Date();
  for (let pick = pickAgent(candidates, { departmentId, excluded, now }); pick; pick = pickAgent(candidates, { departmentId, excluded, now })) {
    order.push(pick.id);
    excluded.add(pick.id);
  }
  return order;
}
