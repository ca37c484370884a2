import type { Logger } from '../../platform/logger.ts';
import type { Queryable } from '../../platform/db/pool.ts';
import { periodic } from '../../platform/periodic.ts';

/**
 * Worker liveness in PostgreSQL (table `worker_liveness`, owned here). Takeover reads it to tell a worker that
 * is gone from one that lives: it has to survive the loss of Redis data, and a worker that cannot reach
 * PostgreSQL cannot drive its calls anyway. Ages are measured on the database's clock.
 */

export async function recordBeat(db: Queryable, workerId: string, pid: number, node = 'default'): Promise<void> {
  await db.query(
    `INSERT INTO worker_liveness (worker_id, pid, node) VALUES ($1, $2, $3)
     ON CONFLICT (worker_id) DO UPDATE SET beat_at = now(), pid = EXCLUDED.pid, node = EXCLUDED.node`, [workerId, pid, node]);
}

export async function forgetWorker(db: Queryable, workerId: string): Promise<void> {
  await db.query(`DELETE FROM worker_liveness WHERE worker_id = $1`, [workerId]);
}

/** Milliseconds since each named worker's last beat (workers never seen are absent). */
export async function beatAges(db: Queryable, workerIds: readonly string[]): Promise<Map<string, number>> {
  if (workerIds.length === 0) return new Map();
  const { rows } = await db.query(
    `SELECT worker_id, (extract(epoch FROM now() - beat_at) * 1000)::float8 AS age_ms
       FROM worker_liveness WHERE worker_id = ANY($1::text[])`, [workerIds]);
  return new Map(rows.map((r) => [r.worker_id as string, Number(r.age_ms)]));
}

/** Every worker on record with the Asterisk node it serves and its beat's age, by node then worker. */
export async function workersByNode(db: Queryable): Promise<Array<{ node: string; workerId: string; ageMs: number }>> {
  const { rows } = await db.query(
    `SELECT node, worker_id, (extract(epoch FROM now() - beat_at) * 1000)::float8 AS age_ms
       FROM worker_liveness ORDER BY node, worker_id`);
  return rows.map((r) => ({ node: r.node as string, workerId: r.worker_id as string, ageMs: Number(r.age_ms) }));
}

/**
 * How long this process has seen PostgreSQL without a gap, judged from its own beats: a beat that fails, or
 * one that comes more than `maxGapMs` after the previous (a stalled event loop), starts the count again.
 * Pure, so the rule is tested apart from the timer.
 */
export function nextWatch(prev: { since: number | null; lastOk: number | null }, ok: boolean, now: number, maxGapMs: number) {
  if (!ok) return { since: null, lastOk: prev.lastOk };
  const continuous = prev.since !== null && prev.lastOk !== null && now - prev.lastOk <= maxGapMs;
  return { since: continuous ? prev.since : now, lastOk: now };
}

export interface Liveness {
  /** Milliseconds this worker has been beating without a gap (0 while PostgreSQL is unreachable). */
  watchedMs(): number;
  stop(): Promise<void>;
}

/** Beats now and every `intervalMs`; on stop the row goes (a worker that stops cleanly leaves no calls behind). */
export function startLiveness(d: { db: Queryable; workerId: string; node?: string; intervalMs: number; log: Logger }): Liveness & { ready: Promise<void> } {
  let watch: { since: number | null; lastOk: number | null } = { since: null, lastOk: null };
  let failing = false;
  const beat = async () => {
    let ok = true;
    try { await recordBeat(d.db, d.workerId, process.pid, d.node); } catch (err) {
      ok = false;
      if (!failing) d.log.warn({ err: (err as Error).message }, 'worker heartbeat could not be written to PostgreSQL; no takeover until it can');
    }
    failing = !ok;
    watch = nextWatch(watch, ok, Date.now(), d.intervalMs * 3);
  };
  const loop = periodic({ name: 'worker-liveness', intervalMs: d.intervalMs, log: d.log, idle: undefined, run: beat });
  return {
    ready: loop.runOnce(),
    watchedMs: () => (watch.since === null || watch.lastOk === null || Date.now() - watch.lastOk > d.intervalMs * 3 ? 0 : Date.now() - watch.since),
    async stop() {
      loop.stop();
      await forgetWorker(d.db, d.workerId).catch(() => {});
    },
  };
}
