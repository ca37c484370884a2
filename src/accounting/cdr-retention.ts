import type { Pool } from '../platform/db/pool.ts';
import type { Logger } from '../platform/logger.ts';
import { periodic } from '../platform/periodic.ts';
import { deleteAmiCdrsBefore } from './accounting.repository.ts';

const DAY_MS = 24 * 3600 * 1000;
const CHUNK = 5000;

/** Deletes the AMI CDRs received more than `days` days before `now`, a chunk at a time; returns how many went. */
export async function pruneAmiCdrs(pool: Pool, days: number, now = new Date()): Promise<number> {
  if (days <= 0) return 0;
  const before = new Date(now.getTime() - days * DAY_MS);
  let total = 0;
  for (;;) {
    const n = await deleteAmiCdrsBefore(pool, before, CHUNK);
    total += n;
    if (n < CHUNK) return total;
  }
}

/**
 * The worker's retention pass over AMI CDRs: once shortly after start, then every `intervalMs` (hourly by
 * default); with no retention (`days` 0) nothing runs. Every worker runs it; two workers' passes at once only
 * delete the same rows once, and one worker's passes never overlap.
 */
export function startCdrRetention(d: { pool: Pool; log: Logger; days: number; intervalMs?: number }): { stop(): void; runOnce(): Promise<number> } {
  const prune = async () => {
    const n = await pruneAmiCdrs(d.pool, d.days);
    if (n > 0) d.log.info({ deleted: n, days: d.days }, 'old AMI CDRs pruned');
    return n;
  };
  if (d.days <= 0) return { stop() {}, runOnce: prune };
  return periodic({
    name: 'AMI CDR retention', intervalMs: d.intervalMs ?? 3600_000, firstDelayMs: 30_000, log: d.log, idle: 0,
    failMessage: 'AMI CDR pruning failed; next pass retries',
    run: prune,
  });
}
