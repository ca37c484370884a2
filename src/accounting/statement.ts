import { DateTime } from 'luxon';
import { BadRequestError } from '../platform/errors.ts';

/** Month boundaries in the subscriber's time zone, as UTC instants: [from, to). */
export function monthRange(year: number, month: number, timezone: string): { from: Date; to: Date } {
  const start = DateTime.fromObject({ year, month, day: 1 }, { zone: timezone });
  if (!start.isValid) throw new RangeError(`bad month or time zone: ${year}-${month} ${timezone}`);
  return { from: start.toJSDate(), to: start.plus({ months: 1 }).toJSDate() };
}

/** The (year, month) an instant falls in, in the subscriber's time zone. */
export function monthOf(at: Date, timezone: string): { year: number; month: number } {
  const d = DateTime.fromJSDate(at, { zone: timezone });
  return { year: d.year, month: d.month };
}

export function monthKey(m: { year: number; month: number }): string {
  return `${m.year}-${String(m.month).padStart(2, '0')}`;
}

export function parseMonthKey(key: string): { year: number; month: number } | null {
  const m = /^(\d{4})-(\d{2})$/.exec(key);
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  // The same years as every other date filter (src/platform/validation/dates.ts).
  return year >= 2000 && year <= 2100 && month >= 1 && month <= 12 ? { year, month } : null;
}

/** 400 for a month filter parseMonthKey refused. */
export class BadMonthError extends BadRequestError {
  constructor() { super('bad_month', 'Months are written YYYY-MM.'); }
}

export interface StatementLine { leg: string; calls: number; billedSec: number; chargeCents: number }

export interface Statement {
  month: string;
  from: Date;
  to: Date;
  timezone: string;
  planName: string | null;
  monthlyFeeCents: number;
  lines: StatementLine[];
  usageCents: number;
  totalCents: number;
}

/** Totals of one month (pure: the records are already those of the month). */
export function buildStatement(a: {
  month: { year: number; month: number }; timezone: string; planName: string | null; monthlyFeeCents: number;
  records: ReadonlyArray<{ leg: string; billedSec: number; chargeCents: number }>;
}): Statement {
  const byLeg = new Map<string, StatementLine>();
  for (const r of a.records) {
    const line = byLeg.get(r.leg) ?? { leg: r.leg, calls: 0, billedSec: 0, chargeCents: 0 };
    line.calls++;
    line.billedSec += r.billedSec;
    line.chargeCents += r.chargeCents;
    byLeg.set(r.leg, line);
  }
  const lines = [...byLeg.values()].sort((x, y) => x.leg.localeCompare(y.leg));
  const usageCents = lines.reduce((s, l) => s + l.chargeCents, 0);
  const { from, to } = monthRange(a.month.year, a.month.month, a.timezone);
  return { month: monthKey(a.month), from, to, timezone: a.timezone, planName: a.planName, monthlyFeeCents: a.monthlyFeeCents, lines, usageCents, totalCents: usageCents + a.monthlyFeeCents };
}
