import type { Queryable } from '../platform/db/pool.ts';
import type { Rate } from './rating.ts';
import type { CallRecord, EndedAttempt } from './call-records.ts';
import { parseCallId } from '../calls/session/call-ids.ts';

// Owner of plans, rates, subscriber_plans, call_records and ami_cdrs.

export interface RateRow extends Rate { id: string; description: string }

const toRate = (r: Record<string, any>): RateRow => ({
  id: r.id, planId: r.plan_id, prefix: r.prefix, description: r.description, pricePerMinMicros: Number(r.price_per_min_micros),
  minSeconds: r.min_seconds, incrementSeconds: r.increment_seconds, minChargeCents: Number(r.min_charge_cents),
});

export async function listRates(db: Queryable): Promise<RateRow[]> {
  const { rows } = await db.query(`SELECT * FROM rates ORDER BY plan_id NULLS FIRST, prefix`);
  return rows.map(toRate);
}

export interface RateInput { planId: string | null; prefix: string; description: string; pricePerMinMicros: number; minSeconds: number; incrementSeconds: number; minChargeCents: number }

/** Insert or replace the rate of (plan, prefix). */
export async function upsertRate(db: Queryable, r: RateInput): Promise<void> {
  await db.query(
    `INSERT INTO rates (plan_id, prefix, description, price_per_min_micros, min_seconds, increment_seconds, min_charge_cents)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (COALESCE(plan_id, '00000000-0000-0000-0000-000000000000'::uuid), prefix) DO UPDATE SET
       description = EXCLUDED.description, price_per_min_micros = EXCLUDED.price_per_min_micros, min_seconds = EXCLUDED.min_seconds,
       increment_seconds = EXCLUDED.increment_seconds, min_charge_cents = EXCLUDED.min_charge_cents, updated_at = now()`,
    [r.planId, r.prefix, r.description, r.pricePerMinMicros, r.minSeconds, r.incrementSeconds, r.minChargeCents]);
}

export async function deleteRate(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query(`DELETE FROM rates WHERE id = $1`, [id]);
  return (rowCount ?? 0) > 0;
}

export interface PlanRow { id: string; name: string; monthlyFeeCents: number; isDefault: boolean }
const toPlan = (r: Record<string, any>): PlanRow => ({ id: r.id, name: r.name, monthlyFeeCents: Number(r.monthly_fee_cents), isDefault: r.is_default });

export async function listPlans(db: Queryable): Promise<PlanRow[]> {
  const { rows } = await db.query(`SELECT * FROM plans ORDER BY name`);
  return rows.map(toPlan);
}

export async function insertPlan(db: Queryable, p: { name: string; monthlyFeeCents: number }): Promise<PlanRow> {
  const { rows } = await db.query(`INSERT INTO plans (name, monthly_fee_cents) VALUES ($1, $2) RETURNING *`, [p.name, p.monthlyFeeCents]);
  return toPlan(rows[0]);
}

/** The subscriber's plan, or the default plan when none was assigned. */
export async function planForSubscriber(db: Queryable, subscriberId: string): Promise<PlanRow | null> {
  const { rows } = await db.query(
    `SELECT p.* FROM plans p LEFT JOIN subscriber_plans sp ON sp.plan_id = p.id AND sp.subscriber_id = $1
     WHERE sp.subscriber_id IS NOT NULL OR p.is_default ORDER BY sp.subscriber_id IS NULL LIMIT 1`, [subscriberId]);
  return rows[0] ? toPlan(rows[0]) : null;
}

export async function setSubscriberPlan(db: Queryable, subscriberId: string, planId: string): Promise<void> {
  await db.query(
    `INSERT INTO subscriber_plans (subscriber_id, plan_id) VALUES ($1, $2)
     ON CONFLICT (subscriber_id) DO UPDATE SET plan_id = EXCLUDED.plan_id, since = now()`, [subscriberId, planId]);
}

export type EndedAttemptRow = EndedAttempt & { n: number; attemptStartedAt: Date; requestCreatedAt: Date; requestScheduledAt: Date | null };

/** Ended attempts with what their records need, many in one statement (the records of concurrent calls); attempts not ended are left out. */
export async function loadEndedAttempts(db: Queryable, attemptIds: readonly string[]): Promise<EndedAttemptRow[]> {
  if (attemptIds.length === 0) return [];
  const { rows } = await db.query({
    name: 'call_records.load_ended_attempts',
    text: `SELECT a.id, a.request_id, a.n, a.flow, a.outcome, a.cause, a.cause_txt, a.callee_kind, a.callee_endpoint, a.visitor_channel_id,
            a.callee_channel_id, a.started_at, a.answered_at, a.callee_answered_at, a.ended_at,
            r.subscriber_id, r.department_id, r.phone_e164 AS visitor_number, r.created_at AS request_created_at, r.scheduled_at AS request_scheduled_at,
            COALESCE(d.phone_e164, s.phone_e164) AS subscriber_number, t.visitor_started_at, t.callee_started_at
     FROM call_attempts a JOIN callback_requests r ON r.id = a.request_id JOIN subscribers s ON s.id = r.subscriber_id
     LEFT JOIN departments d ON d.id = r.department_id
     -- a leg starts at the transition that originated it (attempt_transitions.leg_started, stored by the attempt
     -- repository from the call flows' declarations); the callee leg recorded is the one rung last (a replacement
     -- agent's leg starts at its callee.replaced transition)
     CROSS JOIN LATERAL (
       SELECT min(at) FILTER (WHERE leg_started = 'visitor') AS visitor_started_at,
              max(at) FILTER (WHERE leg_started = 'callee') AS callee_started_at
         FROM attempt_transitions WHERE attempt_id = a.id) t
     WHERE a.id = ANY($1::uuid[]) AND a.ended_at IS NOT NULL`,
    values: [attemptIds],
  });
  return rows.map((r) => ({
    n: r.n, attemptStartedAt: r.started_at, requestCreatedAt: r.request_created_at, requestScheduledAt: r.request_scheduled_at,
    id: r.id, requestId: r.request_id, subscriberId: r.subscriber_id, departmentId: r.department_id,
    visitorNumber: r.visitor_number, subscriberNumber: r.subscriber_number, web: r.flow === 'web_inbound', outcome: r.outcome, cause: r.cause, causeTxt: r.cause_txt,
    calleeKind: r.callee_kind, calleeEndpoint: r.callee_endpoint, visitorChannelId: r.visitor_channel_id, calleeChannelId: r.callee_channel_id,
    startedAt: r.visitor_started_at, answeredAt: r.answered_at, calleeStartedAt: r.callee_started_at, calleeAnsweredAt: r.callee_answered_at, endedAt: r.ended_at,
  }));
}

/** Ended attempts that have no records yet (a worker died between the end of a call and its records). */
export async function attemptsWithoutRecords(db: Queryable, limit = 100): Promise<string[]> {
  const { rows } = await db.query(
    `SELECT a.id FROM call_attempts a WHERE a.ended_at IS NOT NULL AND a.ended_at < now() - interval '5 seconds'
       AND NOT EXISTS (SELECT 1 FROM call_records c WHERE c.attempt_id = a.id)
     ORDER BY a.ended_at LIMIT $1`, [limit]);
  return rows.map((r) => r.id);
}

/**
 * Idempotent: a leg already recorded is left as it was (its rating is frozen). All legs in one statement;
 * returns how many legs were new, per attempt.
 */
export async function insertCallRecords(db: Queryable, records: readonly CallRecord[]): Promise<Map<string, number>> {
  const inserted = new Map<string, number>();
  if (records.length === 0) return inserted;
  const col = <K extends keyof CallRecord>(k: K) => records.map((c) => c[k] ?? null);
  const { rows } = await db.query({
    name: 'call_records.insert',
    text: `INSERT INTO call_records (attempt_id, request_id, subscriber_id, department_id, leg, channel_id, callee_kind, agent, from_number, to_number,
         to_endpoint, started_at, answered_at, ended_at, duration_sec, billable_sec, disposition, hangup_cause, hangup_cause_txt,
         rate_prefix, price_per_min_micros, billed_sec, charge_cents)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
         $11::text[], $12::timestamptz[], $13::timestamptz[], $14::timestamptz[], $15::int[], $16::int[], $17::text[], $18::int[], $19::text[],
         $20::text[], $21::bigint[], $22::int[], $23::bigint[])
       ON CONFLICT DO NOTHING RETURNING attempt_id`,
    values: [col('attemptId'), col('requestId'), col('subscriberId'), col('departmentId'), col('leg'), col('channelId'), col('calleeKind'), col('agent'),
      col('fromNumber'), col('toNumber'), col('toEndpoint'), col('startedAt'), col('answeredAt'), col('endedAt'), col('durationSec'), col('billableSec'),
      col('disposition'), col('hangupCause'), col('hangupCauseTxt'), col('ratePrefix'), col('pricePerMinMicros'), col('billedSec'), col('chargeCents')],
  });
  for (const r of rows) inserted.set(r.attempt_id, (inserted.get(r.attempt_id) ?? 0) + 1);
  return inserted;
}

/** AMI gives CDR times as 'YYYY-MM-DD HH:MM:SS' in the server's zone; Beckon's Asterisk runs in UTC. */
function cdrTime(s: unknown): Date | null {
  if (typeof s !== 'string' || !/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(s)) return null;
  return new Date(`${s.replace(' ', 'T')}Z`);
}

const intOrNull = (s: unknown) => (typeof s === 'string' && /^\d+$/.test(s) ? Number(s) : null);

/** Stores AMI Cdr events as received, in one statement; events without a uniqueid are skipped. Returns how many were new. */
export async function insertAmiCdrs(db: Queryable, events: readonly Record<string, any>[]): Promise<number> {
  const rows = events.filter((e) => String(e.uniqueid ?? '') !== '').map((e) => {
    const uniqueid = String(e.uniqueid);
    const parsed = parseCallId(uniqueid);
    return [uniqueid, e.linkedid ?? null, intOrNull(e.sequence) ?? 0, parsed && (parsed.leg === 'visitor' || parsed.leg === 'callee') ? parsed.attemptId : null,
      parsed?.leg ?? null, e.channel ?? null, e.destinationchannel || null, e.disposition ?? null, cdrTime(e.starttime), cdrTime(e.answertime),
      cdrTime(e.endtime), intOrNull(e.duration), intOrNull(e.billableseconds), e.accountcode || null, JSON.stringify(e)];
  });
  if (rows.length === 0) return 0;
  const { rowCount } = await db.query({
    name: 'ami_cdrs.insert',
    text: `INSERT INTO ami_cdrs (uniqueid, linkedid, sequence, attempt_id, leg, channel, destination_channel, disposition, start_time, answer_time,
       end_time, duration_sec, billable_sec, accountcode, raw)
     SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[],
       $10::timestamptz[], $11::timestamptz[], $12::int[], $13::int[], $14::text[], $15::jsonb[])
     ON CONFLICT DO NOTHING`,
    values: Array.from({ length: 15 }, (_, i) => rows.map((r) => r[i])),
  });
  return rowCount ?? 0;
}

/**
 * Deletes up to `limit` AMI CDRs received before `before`, oldest first; returns how many went. Bounded so one
 * pass never holds locks on a large table for long (the caller repeats until fewer than `limit` go).
 */
export async function deleteAmiCdrsBefore(db: Queryable, before: Date, limit: number): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM ami_cdrs WHERE id IN (SELECT id FROM ami_cdrs WHERE received_at < $1 ORDER BY received_at LIMIT $2)`,
    [before, limit],
  );
  return rowCount ?? 0;
}

export interface RecordRow {
  id: string; attemptId: string; requestId: string; subscriberId: string; subscriberSlug: string; departmentName: string | null;
  leg: string; channelId: string; agent: string | null; fromNumber: string | null; toNumber: string | null;
  startedAt: Date; answeredAt: Date | null; endedAt: Date; durationSec: number; billableSec: number; disposition: string;
  hangupCause: number | null; hangupCauseTxt: string | null; ratePrefix: string | null; pricePerMinMicros: number | null;
  billedSec: number; chargeCents: number; pageUrl: string | null;
  /** how the visitor reached the business: `webcall` = from the browser (its visitor leg is the browser's channel) */
  requestKind: 'callback' | 'webcall';
  /** Asterisk's own CDR for the same channel, when it arrived, with the channel's name there (PJSIP/anonymous-N for a browser) */
  cdrDisposition: string | null; cdrBillableSec: number | null; cdrDurationSec: number | null; cdrChannel: string | null;
}

/** Records in [from, to) by start time, with the matching AMI CDR (last by sequence) beside them. */
export async function listCallRecords(db: Queryable, q: { subscriberId?: string | null; from: Date; to: Date; limit?: number }): Promise<RecordRow[]> {
  const { rows } = await db.query(
    `SELECT c.*, s.slug, d.name AS department_name, r.page_url, r.kind AS request_kind, cdr.disposition AS cdr_disposition, cdr.billable_sec AS cdr_billable,
       cdr.duration_sec AS cdr_duration, cdr.channel AS cdr_channel
     FROM call_records c JOIN subscribers s ON s.id = c.subscriber_id JOIN callback_requests r ON r.id = c.request_id
     LEFT JOIN departments d ON d.id = c.department_id
     LEFT JOIN LATERAL (SELECT * FROM ami_cdrs a WHERE a.uniqueid = c.channel_id ORDER BY a.sequence DESC, a.id DESC LIMIT 1) cdr ON true
     WHERE ($1::uuid IS NULL OR c.subscriber_id = $1) AND c.started_at >= $2 AND c.started_at < $3
     ORDER BY c.started_at, c.leg DESC LIMIT $4`,
    [q.subscriberId ?? null, q.from, q.to, q.limit ?? 100000]);
  return rows.map((r) => ({
    id: r.id, attemptId: r.attempt_id, requestId: r.request_id, subscriberId: r.subscriber_id, subscriberSlug: r.slug, departmentName: r.department_name,
    leg: r.leg, channelId: r.channel_id, agent: r.agent, fromNumber: r.from_number, toNumber: r.to_number,
    startedAt: r.started_at, answeredAt: r.answered_at, endedAt: r.ended_at, durationSec: r.duration_sec, billableSec: r.billable_sec,
    disposition: r.disposition, hangupCause: r.hangup_cause, hangupCauseTxt: r.hangup_cause_txt, ratePrefix: r.rate_prefix,
    pricePerMinMicros: r.price_per_min_micros === null ? null : Number(r.price_per_min_micros), billedSec: r.billed_sec, chargeCents: Number(r.charge_cents),
    pageUrl: r.page_url, requestKind: r.request_kind ?? 'callback',
    cdrDisposition: r.cdr_disposition ?? null, cdrBillableSec: r.cdr_billable ?? null, cdrDurationSec: r.cdr_duration ?? null, cdrChannel: r.cdr_channel ?? null,
  }));
}

/** Months (in the subscriber's zone) that have records, newest first. */
export async function monthsWithRecords(db: Queryable, subscriberId: string, timezone: string): Promise<string[]> {
  const { rows } = await db.query(
    `SELECT DISTINCT to_char(started_at AT TIME ZONE $2, 'YYYY-MM') AS m FROM call_records WHERE subscriber_id = $1 ORDER BY m DESC`,
    [subscriberId, timezone]);
  return rows.map((r) => r.m);
}

/** One request's call records (both legs of every attempt) within its subscriber, in order. */
export async function listCallRecordsOfRequest(db: Queryable, subscriberId: string, requestId: string): Promise<{
  attemptId: string; leg: string; agent: string | null; fromNumber: string | null; toNumber: string | null; toEndpoint: string | null;
  startedAt: Date; answeredAt: Date | null; endedAt: Date; durationSec: number; billableSec: number; billedSec: number;
  disposition: string; hangupCause: number | null; hangupCauseTxt: string | null; chargeCents: number;
}[]> {
  const { rows } = await db.query(
    `SELECT attempt_id, leg, agent, from_number, to_number, to_endpoint, started_at, answered_at, ended_at, duration_sec, billable_sec,
            billed_sec, disposition, hangup_cause, hangup_cause_txt, charge_cents
       FROM call_records WHERE subscriber_id = $1 AND request_id = $2 ORDER BY started_at, leg DESC`, [subscriberId, requestId]);
  return rows.map((r) => ({
    attemptId: r.attempt_id, leg: r.leg, agent: r.agent, fromNumber: r.from_number, toNumber: r.to_number, toEndpoint: r.to_endpoint,
    startedAt: r.started_at, answeredAt: r.answered_at, endedAt: r.ended_at, durationSec: r.duration_sec, billableSec: r.billable_sec,
    billedSec: r.billed_sec, disposition: r.disposition, hangupCause: r.hangup_cause, hangupCauseTxt: r.hangup_cause_txt, chargeCents: Number(r.charge_cents),
  }));
}
