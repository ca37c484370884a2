import type { Queryable } from '../platform/db/pool.ts';
import { isUuid } from '../platform/validation/ids.ts';

// Owner of phone_verifications.

export interface Verification {
  id: string; subscriberId: string; departmentId: string | null; phoneE164: string; codeHash: Buffer | null;
  callStatus: 'queued' | 'calling' | 'spoken' | 'failed'; callCause: number | null; tries: number;
  expiresAt: Date; verifiedAt: Date | null; createdAt: Date;
}

const COLUMNS = `id, subscriber_id, department_id, phone_e164, code_hash, call_status, call_cause, tries, expires_at, verified_at, created_at`;

function toVerification(r: Record<string, any>): Verification {
  return {
    id: r.id, subscriberId: r.subscriber_id, departmentId: r.department_id, phoneE164: r.phone_e164, codeHash: r.code_hash,
    callStatus: r.call_status, callCause: r.call_cause, tries: r.tries, expiresAt: r.expires_at, verifiedAt: r.verified_at, createdAt: r.created_at,
  };
}

export async function insertVerification(db: Queryable, v: { subscriberId: string; departmentId: string | null; phoneE164: string; ttlSec: number }): Promise<string> {
  const { rows } = await db.query(
    `INSERT INTO phone_verifications (subscriber_id, department_id, phone_e164, expires_at)
     VALUES ($1, $2, $3, now() + make_interval(secs => $4)) RETURNING id`, [v.subscriberId, v.departmentId, v.phoneE164, v.ttlSec]);
  return rows[0].id;
}

/** Scoped by subscriber: a verification id from another account is simply not found. */
export async function findVerification(db: Queryable, subscriberId: string, id: string): Promise<Verification | null> {
  if (!isUuid(id)) return null;
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM phone_verifications WHERE id = $1 AND subscriber_id = $2`, [id, subscriberId]);
  return rows[0] ? toVerification(rows[0]) : null;
}

/** For the worker, which acts on a job id it was given, not on a session; with whether its account is active now. */
export async function findVerificationForCall(db: Queryable, id: string): Promise<(Verification & { subscriberActive: boolean }) | null> {
  const { rows } = await db.query(
    `SELECT ${COLUMNS.split(', ').map((c) => `v.${c}`).join(', ')}, s.status = 'active' AS subscriber_active
       FROM phone_verifications v JOIN subscribers s ON s.id = v.subscriber_id WHERE v.id = $1`, [id]);
  return rows[0] ? { ...toVerification(rows[0]), subscriberActive: rows[0].subscriber_active === true } : null;
}

/**
 * queued -> calling with the code's hash; false when another delivery of the job got there first, or the account
 * was suspended since the worker read it (the status is read in the same statement that claims the call).
 */
export async function startCall(db: Queryable, id: string, codeHash: Buffer): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE phone_verifications v SET code_hash = $2, call_status = 'calling'
      WHERE v.id = $1 AND v.call_status = 'queued' AND v.expires_at > now()
        AND EXISTS (SELECT 1 FROM subscribers s WHERE s.id = v.subscriber_id AND s.status = 'active')`, [id, codeHash]);
  return !!rowCount;
}

export async function finishCall(db: Queryable, id: string, status: 'spoken' | 'failed', cause: number | null): Promise<void> {
  await db.query(`UPDATE phone_verifications SET call_status = $2, call_cause = $3 WHERE id = $1 AND call_status IN ('queued', 'calling')`, [id, status, cause]);
}

/** Counts one typed code; returns the tries so far (including this one). */
export async function countTry(db: Queryable, id: string): Promise<number> {
  const { rows } = await db.query(`UPDATE phone_verifications SET tries = tries + 1 WHERE id = $1 RETURNING tries`, [id]);
  return rows[0]?.tries ?? 0;
}

export async function markVerified(db: Queryable, id: string): Promise<void> {
  await db.query(`UPDATE phone_verifications SET verified_at = now() WHERE id = $1`, [id]);
}
