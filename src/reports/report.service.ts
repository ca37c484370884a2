import { DateTime } from 'luxon';
import type { Pool } from '../platform/db/pool.ts';
import { MAX_RANGE_DAYS, boundedRange, parseDay } from '../platform/validation/dates.ts';
import { CHANNEL_LABELS, reportBy, type ReportRow } from './report.repository.ts';

export interface ReportRange { from: Date; to: Date; fromDay: string; toDay: string }

export { MAX_RANGE_DAYS };

/**
 * The date filter: inclusive days in the subscriber's zone (default the last 30 days). Dates are bounded at the
 * edge (src/platform/validation/dates.ts): a malformed or far-off date or a range over MAX_RANGE_DAYS is a 400.
 */
export function reportRange(q: { from?: unknown; to?: unknown }, timezone: string, now = new Date()): ReportRange {
  const today = DateTime.fromJSDate(now, { zone: timezone }).startOf('day');
  const to0 = parseDay(q.to, timezone, 'to') ?? today;
  const from0 = parseDay(q.from, timezone, 'from') ?? to0.minus({ days: 29 });
  const [from, to] = boundedRange(from0, to0);
  return { from: from.toJSDate(), to: to.plus({ days: 1 }).toJSDate(), fromDay: from.toISODate()!, toDay: to.toISODate()! };
}

export interface ReportRowView extends ReportRow { answerRate: number | null; connectRate: number | null }

export function withRates(r: ReportRow): ReportRowView {
  return { ...r, answerRate: r.requests ? Math.round((r.answered / r.requests) * 1000) / 10 : null, connectRate: r.requests ? Math.round((r.connected / r.requests) * 1000) / 10 : null };
}

/** Every day of the range, so days without requests show as zero bars instead of disappearing. */
export function fillDays(rows: ReportRow[], range: ReportRange, timezone: string): ReportRow[] {
  const byKey = new Map(rows.map((r) => [r.key, r]));
  const out: ReportRow[] = [];
  // Counted in days, never by comparing printed dates: past year 9999 luxon prints +010000-…, which sorts first.
  const first = DateTime.fromISO(range.fromDay, { zone: timezone });
  const days = Math.min(MAX_RANGE_DAYS + 1, Math.round(DateTime.fromISO(range.toDay, { zone: timezone }).diff(first, 'days').days) + 1);
  for (let i = 0, d = first; i < days; i++, d = d.plus({ days: 1 })) {
    const key = d.toISODate()!;
    out.push(byKey.get(key) ?? emptyRow(key));
  }
  return out;
}

const emptyRow = (key: string): ReportRow => ({ key, requests: 0, answered: 0, connected: 0, medianAnswerSec: null, p90AnswerSec: null, completed: 0, failed: 0, canceled: 0 });

/** Both channels, call-backs first, so a channel without requests shows as zeros rather than missing. */
export function fillChannels(rows: ReportRow[]): ReportRow[] {
  const byKey = new Map(rows.map((r) => [r.key, r]));
  return [CHANNEL_LABELS.callback, CHANNEL_LABELS.webcall].map((key) => byKey.get(key) ?? emptyRow(key));
}

export interface SubscriberReport {
  range: ReportRange;
  total: ReportRowView;
  byDay: ReportRowView[];
  byDepartment: ReportRowView[];
  byAgent: ReportRowView[];
  byPage: ReportRowView[];
  /** phone call-back vs web call */
  byChannel: ReportRowView[];
}

export async function subscriberReport(pool: Pool, subscriberId: string, timezone: string, range: ReportRange): Promise<SubscriberReport> {
  const base = { subscriberId, from: range.from, to: range.to, timezone };
  const [total, day, department, agent, page, channel] = await Promise.all([
    reportBy(pool, { ...base, by: 'total' }), reportBy(pool, { ...base, by: 'day' }), reportBy(pool, { ...base, by: 'department' }),
    reportBy(pool, { ...base, by: 'agent' }), reportBy(pool, { ...base, by: 'page' }), reportBy(pool, { ...base, by: 'channel' }),
  ]);
  return {
    range,
    total: withRates(total[0] ?? emptyRow('all')),
    byDay: fillDays(day, range, timezone).map(withRates),
    byDepartment: department.map(withRates),
    byAgent: agent.map(withRates),
    byPage: page.map(withRates),
    byChannel: fillChannels(channel).map(withRates),
  };
}
