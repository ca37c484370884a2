import { randomBytes } from 'node:crypto';
import { sha256Bytes } from '../platform/sha256.ts';
import type { Pool, Queryable } from '../platform/db/pool.ts';
import { withTransaction } from '../platform/db/pool.ts';
import { setPasswordHash } from '../subscribers/subscriber.repository.ts';
import { hashPassword } from './password.ts';
import { consumeAgentReset, consumeReset, findLiveAgentReset, findLiveReset, insertAgentPasswordReset, insertPasswordReset } from './password-reset.repository.ts';

/**
 * One-time links that let a subscriber set a new password, made by an operator for an owner who is locked
 * out (the operator checks who is asking and hands the link over), or mailed on "Forgot password?" when the
 * installation sends email (src/notices), to an owner or to an agent whose login is its address. The link holds 256
 * random bits; only their hash is stored; it works once, for RESET_TTL_SEC, and a newer link voids older ones.
 * Setting the password through it ends every session of the account (the session generation moves on).
 */
export const RESET_TTL_SEC = 24 * 3600;

const hashOf = sha256Bytes;
const wellFormed = (token: string) => /^[A-Za-z0-9_-]{43}$/.test(token);

export async function createResetLink(pool: Pool, o: { subscriberId: string; createdBy: string; publicUrl: string }): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await withTransaction(pool, (tx) => insertPasswordReset(tx, { subscriberId: o.subscriberId, tokenHash: hashOf(token), createdBy: o.createdBy, ttlSec: RESET_TTL_SEC }));
  return `${o.publicUrl}/reset/${token}`;
}

/** Whether a link can still be used (to show its form, or say it cannot). */
export async function resetLinkIsLive(pool: Pool, token: string): Promise<boolean> {
  return wellFormed(token) && (await findLiveReset(pool, hashOf(token))) !== null;
}

/** Uses the link up and sets the password; the account and its new session generation, or null if the link is dead. */
export async function resetPassword(pool: Pool, token: string, password: string): Promise<{ subscriberId: string; gen: number } | null> {
  if (!wellFormed(token)) return null;
  const hash = await hashPassword(password);
  return withTransaction(pool, async (tx) => {
    const subscriberId = await consumeReset(tx, hashOf(token));
    if (!subscriberId) return null;
    return { subscriberId, gen: await setPasswordHash(tx, subscriberId, hash) };
  });
}

/** An agent's link, /agent/reset/<token>: the same rules as an owner's. */
export async function createAgentResetLink(pool: Pool, o: { agentId: string; createdBy: string; publicUrl: string }): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await withTransaction(pool, (tx) => insertAgentPasswordReset(tx, { agentId: o.agentId, tokenHash: hashOf(token), createdBy: o.createdBy, ttlSec: RESET_TTL_SEC }));
  return `${o.publicUrl}/agent/reset/${token}`;
}

export async function agentResetLinkIsLive(pool: Pool, token: string): Promise<boolean> {
  return wellFormed(token) && (await findLiveAgentReset(pool, hashOf(token))) !== null;
}

/**
 * Uses an agent's link up and stores the new password through `setPassword` (the agents' own repository, which
 * this layer may not import); the agent's id, or null if the link is dead.
 */
export async function resetAgentPassword(
  pool: Pool, token: string, password: string, setPassword: (tx: Queryable, agentId: string, hash: string) => Promise<void>,
): Promise<string | null> {
  if (!wellFormed(token)) return null;
  const hash = await hashPassword(password);
  return withTransaction(pool, async (tx) => {
    const agentId = await consumeAgentReset(tx, hashOf(token));
    if (agentId) await setPassword(tx, agentId, hash);
    return agentId;
  });
}
