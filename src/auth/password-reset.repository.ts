import type { Queryable } from '../platform/db/pool.ts';

// Owner of password_resets. A link is an owner's (subscriber_id) or an agent's (agent_id); each lookup names which.

/** Stores a new reset link's token hash; earlier unused links of the same account stop working. */
export async function insertPasswordReset(db: Queryable, r: { subscriberId: string; tokenHash: Buffer; createdBy: string; ttlSec: number }): Promise<void> {
  await db.query(`UPDATE password_resets SET used_at = now() WHERE subscriber_id = $1 AND used_at IS NULL`, [r.subscriberId]);
  await db.query(
    `INSERT INTO password_resets (subscriber_id, token_hash, created_by, expires_at) VALUES ($1, $2, $3, now() + make_interval(secs => $4))`,
    [r.subscriberId, r.tokenHash, r.createdBy, r.ttlSec]);
}

/** The account a live (unused, unexpired) link belongs to, without using it up. */
export async function findLiveReset(db: Queryable, tokenHash: Buffer): Promise<string | null> {
  const { rows } = await db.query(
    `SELECT subscriber_id FROM password_resets WHERE token_hash = $1 AND subscriber_id IS NOT NULL AND used_at IS NULL AND expires_at > now()`, [tokenHash]);
  return rows[0]?.subscriber_id ?? null;
}

/** Uses a live link up, atomically (a link works once, even for two submissions at the same time). */
export async function consumeReset(db: Queryable, tokenHash: Buffer): Promise<string | null> {
  const { rows } = await db.query(
    `UPDATE password_resets SET used_at = now() WHERE token_hash = $1 AND subscriber_id IS NOT NULL AND used_at IS NULL AND expires_at > now() RETURNING subscriber_id`, [tokenHash]);
  return rows[0]?.subscriber_id ?? null;
}

/** An agent's new reset link (mailed to an agent whose login is its address); earlier unused ones stop working. */
export async function insertAgentPasswordReset(db: Queryable, r: { agentId: string; tokenHash: Buffer; createdBy: string; ttlSec: number }): Promise<void> {
  await db.query(`UPDATE password_resets SET used_at = now() WHERE agent_id = $1 AND used_at IS NULL`, [r.agentId]);
  await db.query(
    `INSERT INTO password_resets (agent_id, token_hash, created_by, expires_at) VALUES ($1, $2, $3, now() + make_interval(secs => $4))`,
    [r.agentId, r.tokenHash, r.createdBy, r.ttlSec]);
}

/** The agent a live link belongs to, without using it up. */
export async function findLiveAgentReset(db: Queryable, tokenHash: Buffer): Promise<string | null> {
  const { rows } = await db.query(
    `SELECT agent_id FROM password_resets WHERE token_hash = $1 AND agent_id IS NOT NULL AND used_at IS NULL AND expires_at > now()`, [tokenHash]);
  return rows[0]?.agent_id ?? null;
}

/** Uses an agent's live link up, atomically. */
export async function consumeAgentReset(db: Queryable, tokenHash: Buffer): Promise<string | null> {
  const { rows } = await db.query(
    `UPDATE password_resets SET used_at = now() WHERE token_hash = $1 AND agent_id IS NOT NULL AND used_at IS NULL AND expires_at > now() RETURNING agent_id`, [tokenHash]);
  return rows[0]?.agent_id ?? null;
}
