import type { Pool } from '../../../src/platform/db/pool.ts';
import { sampleProcess } from './proc-stats.ts';

/**
 * CPU time of the PostgreSQL server processes serving the bench database, read from /proc. Per request or
 * per call this is a cost that a busy machine barely changes, unlike rates and latencies. (Transaction
 * counts from pg_stat_database are not used: idle backends publish them up to 10 s late.)
 */
export interface PgMark { cpuByPid: Map<number, number> }

export async function pgMark(db: { pool: Pool; url: string }): Promise<PgMark> {
  const name = decodeURIComponent(new URL(db.url).pathname.slice(1));
  const { rows } = await db.pool.query(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [name]);
  const cpuByPid = new Map<number, number>();
  for (const r of rows as { pid: number }[]) {
    const s = sampleProcess(r.pid);
    if (s) cpuByPid.set(r.pid, s.cpuMs);
  }
  return { cpuByPid };
}

/**
 * Server CPU per unit of work between two marks. A backend that started between the marks counts from zero;
 * one that ended in between is lost (the pools keep theirs open for 30 s, longer than a run).
 */
export function pgCpuPerUnit(a: PgMark, b: PgMark, units: number): number {
  let cpu = 0;
  for (const [pid, ms] of b.cpuByPid) cpu += ms - (a.cpuByPid.get(pid) ?? 0);
  return Math.max(0, cpu) / Math.max(1, units);
}
