import type { Pool } from '../db/pool.ts';
import type { Logger } from '../logger.ts';
import type { AmiAdapter, AmiEvent } from '../telephony/ami-adapter.ts';
import { buildCallRecords } from './call-records.ts';
import { callRecords, queueWait, timeToCallBack } from '../observability/metrics.ts';
import { attemptsWithoutRecords, insertAmiCdr, insertCallRecords, listRates, loadEndedAttempt, planForSubscriber } from './accounting.repository.ts';

export interface RecorderDeps { pool: Pool; log: Logger; trunkTemplate: string }

/** Builds and rates the records of one ended attempt; safe to call twice (records are written once). */
export async function recordAttempt(d: RecorderDeps, attemptId: string): Promise<number> {
  const attempt = await loadEndedAttempt(d.pool, attemptId);
  if (!attempt) return 0;
  const [rates, plan] = await Promise.all([listRates(d.pool), planForSubscriber(d.pool, attempt.subscriberId)]);
  const records = buildCallRecords(attempt, d.trunkTemplate, rates, plan?.id ?? null);
  const n = await insertCallRecords(d.pool, records);
  if (n > 0) {
    for (const r of records) callRecords.inc({ leg: r.leg, disposition: r.disposition });
    // Only first attempts: a retry's due time is not kept once it has been dialed.
    if (attempt.n === 1) queueWait.observe(Math.max(0, attempt.attemptStartedAt.getTime() - (attempt.requestScheduledAt ?? attempt.requestCreatedAt).getTime()) / 1000);
    if (attempt.answeredAt) timeToCallBack.observe((attempt.answeredAt.getTime() - attempt.requestCreatedAt.getTime()) / 1000);
  }
  d.log.info({ attemptId, requestId: attempt.requestId, legs: records.map((r) => `${r.leg}:${r.disposition}:${r.billableSec}s:${r.chargeCents}c`) }, 'call records written');
  return n;
}

/**
 * The worker's accounting: records for each ended attempt (via the dialer's onAttemptEnded), a periodic
 * catch-up for attempts whose worker died before writing them, and every AMI Cdr stored for comparison.
 */
export function startAccounting(d: RecorderDeps & { ami: AmiAdapter; catchUpMs?: number }): { onAttemptEnded(a: { attemptId: string }): Promise<void>; stop(): void } {
  const onEvent = (e: AmiEvent) => {
    if (e.event !== 'Cdr') return;
    insertAmiCdr(d.pool, e).catch((err: Error) => d.log.warn({ err: err.message, uniqueid: e.uniqueid }, 'AMI CDR not stored'));
  };
  d.ami.on('event', onEvent);
  let running = false;
  const catchUp = async () => {
    if (running) return;
    running = true;
    try {
      for (const id of await attemptsWithoutRecords(d.pool)) await recordAttempt(d, id);
    } catch (err) {
      d.log.warn({ err: (err as Error).message }, 'call record catch-up failed');
    } finally { running = false; }
  };
  const timer = setInterval(() => void catchUp(), d.catchUpMs ?? 60_000);
  timer.unref();
  return {
    async onAttemptEnded({ attemptId }) {
      // Accounting must never break the call flow: a failure here is caught up later.
      await recordAttempt(d, attemptId).catch((err: Error) => d.log.error({ attemptId, err: err.message }, 'call records not written'));
    },
    stop() { clearInterval(timer); d.ami.off('event', onEvent); },
  };
}
