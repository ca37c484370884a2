import type { Queryable } from '../platform/db/pool.ts';

// Owner of agents.desk_endpoint. agents.endpoint is the device offers ring and AMI device state is stored for;
// while the agent answers in the browser it names the softphone and desk_endpoint keeps the configured phone.

/**
 * The agent answers on `device` (its WebRTC endpoint) from now on. Not registered yet: UNAVAILABLE, so no offer
 * rings it until AMI says the browser registered (NOT_INUSE). Refused (false) while the agent holds a call: the
 * call's device must not change under it.
 */
export async function answerInBrowser(db: Queryable, agentId: string, device: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE agents SET desk_endpoint = COALESCE(desk_endpoint, endpoint), endpoint = $2,
       device_state = CASE WHEN lower(endpoint) = lower($2) AND desk_endpoint IS NOT NULL THEN device_state ELSE 'UNAVAILABLE' END,
       device_state_at = now()
      WHERE id = $1 AND reserved_request IS NULL AND reserved_attempt IS NULL`, [agentId, device]);
  return (rowCount ?? 0) > 0;
}

/**
 * Back to the configured phone. Its state is UNKNOWN until AMI reports it (as at a worker's start: offerable),
 * unless the configured phone is the softphone itself. An endpoint the operator changed meanwhile (it no longer
 * names the softphone) is kept. Returns the softphone's device it left, or null when the agent was not on one.
 */
export async function answerOnDeskPhone(db: Queryable, agentId: string): Promise<string | null> {
  const { rows } = await db.query(
    `UPDATE agents a SET endpoint = CASE WHEN lower(a.endpoint) = lower(o.endpoint) THEN a.desk_endpoint ELSE a.endpoint END,
       desk_endpoint = NULL,
       device_state = CASE WHEN lower(a.desk_endpoint) = lower(o.endpoint) THEN a.device_state ELSE 'UNKNOWN' END,
       device_state_at = now()
      FROM (SELECT id, endpoint FROM agents WHERE id = $1 FOR UPDATE) o
     WHERE a.id = o.id AND a.desk_endpoint IS NOT NULL
     RETURNING o.endpoint AS softphone`, [agentId]);
  return rows[0]?.softphone ?? null;
}

/**
 * The configured phone and, while the agent answers in the browser, the softphone's device; and the subscriber that
 * made the agent (null: the operator's), which decides whether a declared webagentN may be its softphone.
 */
export async function agentDevices(db: Queryable, agentId: string): Promise<{ configured: string; softphone: string | null; ownerSubscriberId: string | null } | null> {
  const { rows } = await db.query(`SELECT endpoint, desk_endpoint, owner_subscriber_id FROM agents WHERE id = $1`, [agentId]);
  const r = rows[0];
  if (!r) return null;
  const ownerSubscriberId: string | null = r.owner_subscriber_id;
  return r.desk_endpoint === null
    ? { configured: r.endpoint, softphone: null, ownerSubscriberId }
    : { configured: r.desk_endpoint, softphone: r.endpoint, ownerSubscriberId };
}
