import type { Pool } from '../platform/db/pool.ts';
import type { Logger } from '../platform/logger.ts';
import type { AmiAdapter, AmiEvent } from '../telephony/ami-adapter.ts';
import { createBatcher, isDataError } from '../platform/db/statement-batcher.ts';
import { periodic } from '../platform/periodic.ts';
import { buildCallRecords, type CallRecord } from './call-records.ts';
import { callRecords, queueWait, timeToCallBack } from '../platform/metrics.ts';
import {
  attemptsWithoutRecords, insertAmiCdrs, insertCallRecords, listRates, loadEndedAttempts, planForSubscriber,
  type EndedAttemptRow, type PlanRow, type RateRow,
} from './accounting.repository.ts';

/**
 * Rates and plan assignments as the worker rates calls with them. They change rarely (an operator edits them
 * in the admin area, another process) and every ended call needs them, so the worker keeps them for `ttlMs`:
 * a change applies to calls that end up to `ttlMs` after it. Without a cache (tests, one-off rebuilds) every
 * call reads them.
 */
class RatingCache {
  private rates: { at: number; value: Promise<RateRow[]> } | null = null;
  private plans = new Map<string, { at: number; value: Promise<PlanRow | null> }>();

  constructor(private readonly pool: Pool, readonly ttlMs = 15_000) {}

  getRates(): Promise<RateRow[]> {
    const now = Date.now();
    if (this.rates && now - this.rates.at < this.ttlMs) return this.rates.value;
    const value = listRates(this.pool);
    const entry = { at: now, value };
    this.rates = entry;
    value.catch(() => { if (this.rates === entry) this.rates = null; });
    return value;
  }

  planFor(subscriberId: string): Promise<PlanRow | null> {
    const now = Date.now();
    const hit = this.plans.get(subscriberId);
    if (hit && now - hit.at < this.ttlMs) return hit.value;
    const value = planForSubscriber(this.pool, subscriberId);
    const entry = { at: now, value };
    this.plans.delete(subscriberId);
    this.plans.set(subscriberId, entry);
    value.catch(() => { if (this.plans.get(subscriberId) === entry) this.plans.delete(subscriberId); });
    if (this.plans.size > 10_000) this.plans.delete(this.plans.keys().next().value!);
    return value;
  }
}

export interface RecorderDeps { pool: Pool; log: Logger; trunkTemplate: string; rating?: RatingCache }

/** What was recorded for one attempt: its legs (`visitor:ANSWERED:12s:3c`) and how many of them are new. */
export interface RecordedAttempt { requestId: string; written: number; legs: string[] }

/**
 * Builds and rates the records of ended attempts, for many attempts in two statements (one read, one insert);
 * safe to call twice (records are written once). Attempts not ended (or unknown) are missing from the result.
 */
async function recordAttempts(d: RecorderDeps, attemptIds: readonly string[]): Promise<Map<string, RecordedAttempt>> {
  const done = new Map<string, RecordedAttempt>();
  const attempts = await loadEndedAttempts(d.pool, [...new Set(attemptIds)]);
  if (attempts.length === 0) return done;
  const rates = d.rating ? d.rating.getRates() : listRates(d.pool);
  const planIds = new Map<string, string | null>();
  await Promise.all([rates, ...[...new Set(attempts.map((a) => a.subscriberId))].map(async (id) => {
    const plan = await (d.rating ? d.rating.planFor(id) : planForSubscriber(d.pool, id));
    planIds.set(id, plan?.id ?? null);
  })]);
  const built: [EndedAttemptRow, CallRecord[]][] = [];
  for (const a of attempts) built.push([a, buildCallRecords(a, d.trunkTemplate, await rates, planIds.get(a.subscriberId) ?? null)]);
  const inserted = await insertCallRecords(d.pool, built.flatMap(([, records]) => records));
  for (const [attempt, records] of built) {
    const written = inserted.get(attempt.id) ?? 0;
    if (written > 0) observe(attempt, records);
    done.set(attempt.id, { requestId: attempt.requestId, written, legs: records.map((r) => `${r.leg}:${r.disposition}:${r.billableSec}s:${r.chargeCents}c`) });
  }
  return done;
}

function observe(attempt: EndedAttemptRow, records: CallRecord[]): void {
  for (const r of records) callRecords.inc({ leg: r.leg, disposition: r.disposition });
  // Only first attempts: a retry's due time is not kept once it has been dialed.
  if (attempt.n === 1) queueWait.observe(Math.max(0, attempt.attemptStartedAt.getTime() - (attempt.requestScheduledAt ?? attempt.requestCreatedAt).getTime()) / 1000);
  if (attempt.answeredAt) timeToCallBack.observe((attempt.answeredAt.getTime() - attempt.requestCreatedAt.getTime()) / 1000);
}

/** Builds and rates the records of one ended attempt; safe to call twice (records are written once). */
export async function recordAttempt(d: RecorderDeps, attemptId: string): Promise<number> {
  const r = (await recordAttempts(d, [attemptId])).get(attemptId);
  if (r) d.log.info({ attemptId, requestId: r.requestId, legs: r.legs }, 'call records written');
  return r?.written ?? 0;
}

export interface Accounting {
  /** Records of an ended attempt; null when they could not be written (the catch-up pass writes them later). */
  onAttemptEnded(a: { attemptId: string }): Promise<RecordedAttempt | null>;
  stop(): void;
}

/**
 * The worker's accounting: records for each ended attempt (told by the dialer's attempt-end listener, wired in
 * src/main/worker.ts), a periodic catch-up for attempts whose worker died before writing them, and every AMI Cdr
 * stored for comparison.
 * The records of calls ending in the same turn of the event loop share statements, and so do AMI CDRs
 * (statement-batcher.ts): one statement per call cost more CPU than the call's rating.
 */
/**
 * Nobody waits on an AMI CDR, so each waits up to this long for others to share its statement: at a steady 100
 * calls/s that is one statement per few CDRs instead of one each, PostgreSQL commits that no longer compete with
 * the claims of calls being dialed. A crash loses at most this window of CDRs. A call's records are written at
 * once: the attempt's end listeners (the operator's log line, agent and webhook hooks) wait on them.
 */
const CDR_LINGER_MS = 50;

export function startAccounting(d: RecorderDeps & { ami: AmiAdapter; catchUpMs?: number }): Accounting {
  const deps: RecorderDeps = { ...d, rating: d.rating ?? new RatingCache(d.pool) };
  const storeCdr = createBatcher<AmiEvent, null>(async (events) => {
    await insertAmiCdrs(d.pool, events);
    return events.map(() => null);
  }, { maxInFlight: 1, retrySingly: isDataError, lingerMs: CDR_LINGER_MS });
  const onEvent = (e: AmiEvent) => {
    if (e.event !== 'Cdr') return;
    storeCdr(e).catch((err: Error) => d.log.warn({ err: err.message, uniqueid: e.uniqueid }, 'AMI CDR not stored'));
  };
  d.ami.on('event', onEvent);
  const record = createBatcher<string, RecordedAttempt | null>(async (ids) => {
    const done = await recordAttempts(deps, ids);
    return ids.map((id) => done.get(id) ?? null);
  }, { maxInFlight: 1, retrySingly: isDataError });
  const catchUp = periodic({
    name: 'call record catch-up', intervalMs: d.catchUpMs ?? 60_000, log: d.log, idle: undefined,
    failMessage: 'call record catch-up failed',
    run: async () => {
      await Promise.all((await attemptsWithoutRecords(d.pool)).map(async (attemptId) => {
        const r = await record(attemptId);
        if (r?.written) d.log.info({ attemptId, requestId: r.requestId, legs: r.legs }, 'call records written late');
      }));
    },
  });
  return {
    async onAttemptEnded({ attemptId }) {
      // Accounting must never break the call flow: a failure here is caught up later.
      return record(attemptId).catch((err: Error) => {
        d.log.error({ attemptId, err: err.message }, 'call records not written');
        return null;
      });
    },
    stop() { catchUp.stop(); d.ami.off('event', onEvent); },
  };
}
