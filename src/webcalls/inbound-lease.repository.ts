import type { Queryable } from '../platform/db/pool.ts';

// Owner of inbound_app_lease: no other module writes it. Times are the database's clock, so workers on hosts
// with skewed clocks agree on when a lease has expired.

/**
 * Holds or renews the lease on `app` for `workerId` for `ttlMs`: one statement that succeeds only if the lease is
 * free, already this worker's, or expired, so at most one worker holds it at any moment. True when this worker
 * holds it now. With `mayTake` false another worker's expired lease is left alone: a worker that has not watched
 * PostgreSQL for a full lease without a gap may not judge another's lease expired (as takeover judges a worker
 * gone), while a lease nobody holds is taken at once.
 */
export async function holdLease(db: Queryable, app: string, workerId: string, ttlMs: number, mayTake = true): Promise<boolean> {
  const { rows } = await db.query(
    `INSERT INTO inbound_app_lease AS l (app, worker_id, expires_at)
     VALUES ($1, $2, now() + make_interval(secs => $3::double precision / 1000))
     ON CONFLICT (app) DO UPDATE SET worker_id = EXCLUDED.worker_id, expires_at = EXCLUDED.expires_at
      WHERE l.worker_id = EXCLUDED.worker_id OR (l.expires_at < now() AND $4::boolean)
     RETURNING worker_id`, [app, workerId, ttlMs, mayTake]);
  return rows.length === 1;
}

/** Gives the lease up (a worker stopping cleanly), so the next worker need not wait for it to expire. */
export async function releaseLease(db: Queryable, app: string, workerId: string): Promise<void> {
  await db.query(`DELETE FROM inbound_app_lease WHERE app = $1 AND worker_id = $2`, [app, workerId]);
}

/** Who holds the lease now (an unexpired one), or null. */
export async function leaseHolder(db: Queryable, app: string): Promise<string | null> {
  const { rows } = await db.query(`SELECT worker_id FROM inbound_app_lease WHERE app = $1 AND expires_at > now()`, [app]);
  return rows[0]?.worker_id ?? null;
}

/**
 * The worker a web call goes to: the one with the fewest calls in flight among the workers of `node` alive now (a
 * heartbeat in worker_liveness within `liveWithinMs`; the call's channel is on that node's Asterisk), `me` among
 * them whatever its heartbeat; ties go to `me`, then by id.
 */
export async function leastBusyWorker(db: Queryable, me: string, liveWithinMs: number, node = 'default'): Promise<string> {
  const { rows } = await db.query(
    `SELECT w.worker_id, (SELECT count(*) FROM call_attempts a WHERE a.worker_id = w.worker_id AND a.ended_at IS NULL) AS calls
       FROM (SELECT worker_id FROM worker_liveness
              WHERE beat_at > now() - make_interval(secs => $2::double precision / 1000) AND node = $3
             UNION SELECT $1) w
      ORDER BY calls, (w.worker_id = $1) DESC, w.worker_id LIMIT 1`, [me, liveWithinMs, node]);
  return rows[0]?.worker_id ?? me;
}
