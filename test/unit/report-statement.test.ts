import test from 'ava';
import { buildStatement, monthOf, monthRange, parseMonthKey } from '../../src/accounting/statement.ts';
import { toCsv } from '../../src/platform/csv.ts';
import { parseCsv } from '../helpers/csv-parse.ts';

test('month boundaries follow the subscriber time zone, DST included', (t) => {
  const ny = monthRange(2026, 11, 'America/New_York');
  t.is(ny.from.toISOString(), '2026-11-01T04:00:00.000Z'); // EDT until Nov 1 02:00
  t.is(ny.to.toISOString(), '2026-12-01T05:00:00.000Z');   // EST
  const tokyo = monthRange(2026, 12, 'Asia/Tokyo');
  t.is(tokyo.from.toISOString(), '2026-11-30T15:00:00.000Z');
  t.is(tokyo.to.toISOString(), '2026-12-31T15:00:00.000Z');
});

test('an instant late on the 31st UTC belongs to the next month in Tokyo and to the same month in New York', (t) => {
  const at = new Date('2026-10-31T20:00:00Z');
  t.deepEqual(monthOf(at, 'Asia/Tokyo'), { year: 2026, month: 11 });
  t.deepEqual(monthOf(at, 'America/New_York'), { year: 2026, month: 10 });
  t.deepEqual(parseMonthKey('2026-02'), { year: 2026, month: 2 });
  t.is(parseMonthKey('2026-13'), null);
  t.is(parseMonthKey('x'), null);
});

test('statement totals are integer sums plus the monthly fee', (t) => {
  const st = buildStatement({
    month: { year: 2026, month: 11 }, timezone: 'UTC', planName: 'Gold', monthlyFeeCents: 999,
    records: [{ leg: 'visitor', billedSec: 60, chargeCents: 2 }, { leg: 'callee', billedSec: 120, chargeCents: 3 }, { leg: 'visitor', billedSec: 0, chargeCents: 0 }],
  });
  t.deepEqual(st.lines, [{ leg: 'callee', calls: 1, billedSec: 120, chargeCents: 3 }, { leg: 'visitor', calls: 2, billedSec: 60, chargeCents: 2 }]);
  t.is(st.usageCents, 5);
  t.is(st.totalCents, 1004);
  t.is(st.month, '2026-11');
});

test('CSV quotes what needs quoting, defuses formulas, and parses back to the same cells', (t) => {
  const rows = [['a,b', 'say "hi"', 'line\nbreak', null, 42, '=HYPERLINK("x")', '-12', new Date('2026-11-01T00:00:00Z'), '+12025550111', '+1+cmd|x', '@SUM(A1)']];
  const text = toCsv(['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'h7', 'h8', 'h9', 'h10', 'h11'], rows);
  t.true(text.endsWith('\r\n'));
  const parsed = parseCsv(text);
  t.deepEqual(parsed, [
    ['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'h7', 'h8', 'h9', 'h10', 'h11'],
    ['a,b', 'say "hi"', 'line\nbreak', '', '42', `'=HYPERLINK("x")`, '-12', '2026-11-01T00:00:00.000Z', '+12025550111', `'+1+cmd|x`, `'@SUM(A1)`],
  ]);
});
