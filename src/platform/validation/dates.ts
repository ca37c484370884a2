import { DateTime } from 'luxon';
import { BadRequestError } from '../errors.ts';

/**
 * Dates typed into query strings (report and request-list filters), checked once at the edge: a day is
 * YYYY-MM-DD between 2000-01-01 and 2100-12-31 and a range spans at most MAX_RANGE_DAYS. Anything else is a
 * 400 naming the field, never a query (or a loop) over ten thousand years.
 */
const MIN_DAY = '2000-01-01';
const MAX_DAY = '2100-12-31';
export const MAX_RANGE_DAYS = 366;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A day in the zone; absent or empty → null (the caller's default); malformed or out of bounds → 400. */
export function parseDay(v: unknown, zone: string, field: string): DateTime | null {
  if (v === undefined || v === '') return null;
  const d = typeof v === 'string' && DAY.test(v) && v >= MIN_DAY && v <= MAX_DAY ? DateTime.fromISO(v, { zone }) : null;
  if (!d?.isValid) throw new BadRequestError('bad_date', `${field} must be a date written YYYY-MM-DD between ${MIN_DAY} and ${MAX_DAY}.`);
  return d.startOf('day');
}

/** from ≤ to (swapped otherwise) and at most MAX_RANGE_DAYS apart, or 400. */
export function boundedRange(from: DateTime, to: DateTime): [DateTime, DateTime] {
  if (from > to) [from, to] = [to, from];
  if (to.diff(from, 'days').days > MAX_RANGE_DAYS) throw new BadRequestError('range_too_long', `A date range spans at most ${MAX_RANGE_DAYS} days.`);
  return [from, to];
}
