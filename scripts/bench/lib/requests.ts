import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool } from '../../../src/platform/db/pool.ts';
import type { RequestRow } from './self-check.ts';

const FINAL = `('completed', 'failed', 'expired', 'canceled')`;

/** Polls PostgreSQL until every request is in a final state; returns how many are still open when time runs out. */
export async function waitForFinal(pool: Pool, ids: readonly string[], timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let open = ids.length;
  while (Date.now() < deadline) {
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM callback_requests WHERE id = ANY($1::uuid[]) AND status NOT IN ${FINAL}`, [ids]);
    open = rows[0].n;
    if (open === 0) return 0;
    await sleep(200);
  }
  return open;
}

/** The requests as stored, with the outcome of each attempt, for the self-check. */
export async function loadRequestRows(pool: Pool, ids: readonly string[]): Promise<RequestRow[]> {
  const { rows } = await pool.query(
    `SELECT r.id, r.phone_e164, r.status, count(a.id)::int AS attempts, coalesce(array_agg(a.outcome) FILTER (WHERE a.id IS NOT NULL), '{}') AS outcomes
       FROM callback_requests r LEFT JOIN call_attempts a ON a.request_id = r.id
      WHERE r.id = ANY($1::uuid[]) GROUP BY r.id`, [ids]);
  return rows.map((r) => ({ id: r.id, phone: r.phone_e164, status: r.status, attempts: r.attempts, outcomes: r.outcomes }));
}
