import type { Queryable } from '../platform/db/pool.ts';
import { buildStatement, monthKey, monthOf, monthRange, parseMonthKey, type Statement } from './statement.ts';
import { listCallRecords, monthsWithRecords, planForSubscriber, type RecordRow } from './accounting.repository.ts';
import { toCsv } from '../platform/csv.ts';
import { formatCents, formatMicros } from './rating.ts';

export interface Billable { id: string; timezone: string }

/** One month's statement in the subscriber's time zone (the current month is "so far"). */
export async function statementFor(db: Queryable, s: Billable, month: { year: number; month: number }): Promise<Statement> {
  const { from, to } = monthRange(month.year, month.month, s.timezone);
  const [records, plan] = await Promise.all([listCallRecords(db, { subscriberId: s.id, from, to }), planForSubscriber(db, s.id)]);
  return buildStatement({ month, timezone: s.timezone, planName: plan?.name ?? null, monthlyFeeCents: plan?.monthlyFeeCents ?? 0, records });
}

/** The current month and every month with records, newest first. */
export async function statementsFor(db: Queryable, s: Billable, now = new Date()): Promise<Statement[]> {
  const current = monthKey(monthOf(now, s.timezone));
  const keys = [...new Set([current, ...(await monthsWithRecords(db, s.id, s.timezone))])].sort().reverse();
  return Promise.all(keys.map((k) => statementFor(db, s, parseMonthKey(k)!)));
}

export function statementsCsv(statements: readonly Statement[], currency: string, subscriberSlug?: string): string {
  const header = ['month', ...(subscriberSlug !== undefined ? ['subscriber'] : []), 'timezone', 'plan', 'legs', 'billed_seconds', 'usage', 'monthly_fee', 'total', 'currency'];
  return toCsv(header, statements.map((s) => [
    s.month, ...(subscriberSlug !== undefined ? [subscriberSlug] : []), s.timezone, s.planName, s.lines.reduce((n, l) => n + l.calls, 0),
    s.lines.reduce((n, l) => n + l.billedSec, 0), formatCents(s.usageCents), formatCents(s.monthlyFeeCents), formatCents(s.totalCents), currency,
  ]));
}

export const RECORD_CSV_HEADER = [
  'record_id', 'subscriber', 'request_id', 'attempt_id', 'leg', 'department', 'agent', 'from', 'to', 'page_url',
  'started_at', 'answered_at', 'ended_at', 'duration_sec', 'billable_sec', 'disposition', 'hangup_cause', 'hangup_cause_txt',
  'rate_prefix', 'price_per_min', 'billed_sec', 'charge', 'currency', 'asterisk_disposition', 'asterisk_billable_sec',
] as const;

export function recordsCsv(rows: readonly RecordRow[], currency: string): string {
  return toCsv(RECORD_CSV_HEADER, rows.map((r) => [
    r.id, r.subscriberSlug, r.requestId, r.attemptId, r.leg, r.departmentName, r.agent, r.fromNumber, r.toNumber, r.pageUrl,
    r.startedAt, r.answeredAt, r.endedAt, r.durationSec, r.billableSec, r.disposition, r.hangupCause, r.hangupCauseTxt,
    r.ratePrefix, r.pricePerMinMicros === null ? null : formatMicros(r.pricePerMinMicros), r.billedSec, formatCents(r.chargeCents), currency,
    r.cdrDisposition, r.cdrBillableSec,
  ]));
}
