import test from 'ava';
import { hoursFromSettings, isOpen, nextOpening, openSlots, type BusinessHours } from '../../src/schedule/business-hours.ts';

const at = (iso: string) => new Date(iso);
const iso = (d: Date | null) => d?.toISOString() ?? null;
const weekdays = (open: string, close: string) => ({ mon: [{ open, close }], tue: [{ open, close }], wed: [{ open, close }], thu: [{ open, close }], fri: [{ open, close }] });
const ny = (weekly: BusinessHours['weekly'], holidays: string[] = []): BusinessHours => ({ timezone: 'America/New_York', weekly, holidays });

test('unset weekly hours mean open around the clock', (t) => {
  const h = hoursFromSettings({}, 'America/New_York');
  for (const when of ['2025-03-09T07:30:00Z', '2025-11-02T06:30:00Z', '2025-07-04T03:00:00Z']) t.true(isOpen(h, at(when)), when);
  t.is(iso(nextOpening(h, at('2025-01-01T00:00:00Z'))), '2025-01-01T00:00:00.000Z');
});

test('hoursFromSettings reads settings.hours and keeps holidays even when weekly is unset', (t) => {
  const h = hoursFromSettings({ hours: { holidays: ['2025-12-25', 'not-a-date', '2025-02-30'] } }, 'America/New_York');
  t.deepEqual(h.holidays, ['2025-12-25']);
  t.false(isOpen(h, at('2025-12-25T17:00:00Z')));
  t.is(iso(nextOpening(h, at('2025-12-25T17:00:00Z'))), '2025-12-26T05:00:00.000Z'); // local midnight, EST
});

test('malformed intervals are dropped and an unknown time zone falls back to UTC', (t) => {
  const h = hoursFromSettings({ hours: { weekly: { mon: [{ open: '9', close: '17:00' }, { open: '10:00', close: '11:00' }], xyz: [] } } }, 'Mars/Olympus');
  t.is(h.timezone, 'UTC');
  t.deepEqual(h.weekly.mon, [{ open: '10:00', close: '11:00' }]);
  t.true(isOpen(h, at('2025-03-10T10:30:00Z')));
  t.false(isOpen(h, at('2025-03-10T09:30:00Z')));
});

test('weekday hours in New York follow the wall clock on both sides of spring-forward', (t) => {
  const h = ny(weekdays('09:00', '17:00'));
  // Friday 7 March (EST, UTC-5) and Monday 10 March (EDT, UTC-4)
  t.true(isOpen(h, at('2025-03-07T14:00:00Z')));
  t.false(isOpen(h, at('2025-03-07T13:59:59Z')));
  t.true(isOpen(h, at('2025-03-10T13:00:00Z')));
  t.false(isOpen(h, at('2025-03-10T12:59:00Z')));
  t.false(isOpen(h, at('2025-03-10T21:00:00Z')));
  // Closed Friday evening -> Monday 09:00 EDT
  t.is(iso(nextOpening(h, at('2025-03-07T22:30:00Z'))), '2025-03-10T13:00:00.000Z');
  // Open now -> now
  t.is(iso(nextOpening(h, at('2025-03-10T15:00:00Z'))), '2025-03-10T15:00:00.000Z');
});

test('spring-forward day: a closing time after the gap is 1 hour closer, an opening in the gap is read as 03:30 (RFC 5545)', (t) => {
  const h = ny({ sun: [{ open: '01:00', close: '05:00' }] });
  t.true(isOpen(h, at('2025-03-09T06:00:00Z'))); // 01:00 EST
  t.true(isOpen(h, at('2025-03-09T08:59:00Z'))); // 04:59 EDT
  t.false(isOpen(h, at('2025-03-09T09:00:00Z'))); // 05:00 EDT: only 3 real hours that day
  const gap = ny({ sun: [{ open: '02:30', close: '04:00' }] });
  t.is(iso(nextOpening(gap, at('2025-03-09T00:00:00Z'))), '2025-03-09T07:30:00.000Z'); // 03:30 EDT
  t.false(isOpen(gap, at('2025-03-09T07:29:00Z')));
});

test('fall-back day: an interval across the repeated hour lasts one hour longer; an ambiguous opening takes the first 01:30', (t) => {
  const h = ny({ sun: [{ open: '00:00', close: '03:00' }] });
  t.true(isOpen(h, at('2025-11-02T04:00:00Z'))); // 00:00 EDT
  t.true(isOpen(h, at('2025-11-02T07:59:00Z'))); // 02:59 EST
  t.false(isOpen(h, at('2025-11-02T08:00:00Z'))); // 03:00 EST: 4 real hours
  const amb = ny({ sun: [{ open: '01:30', close: '02:30' }] });
  t.is(iso(nextOpening(amb, at('2025-11-02T00:00:00Z'))), '2025-11-02T05:30:00.000Z'); // 01:30 EDT
  t.true(isOpen(amb, at('2025-11-02T06:45:00Z'))); // the second 01:45 (EST) is still open
  t.false(isOpen(amb, at('2025-11-02T07:30:00Z'))); // 02:30 EST
});

test('Europe/Paris: 09:00 is 08:00Z before and 07:00Z after the March change, and back in October', (t) => {
  const h: BusinessHours = { timezone: 'Europe/Paris', weekly: weekdays('09:00', '18:00'), holidays: [] };
  t.is(iso(nextOpening(h, at('2025-03-28T06:00:00Z'))), '2025-03-28T08:00:00.000Z');
  t.is(iso(nextOpening(h, at('2025-03-28T18:00:00Z'))), '2025-03-31T07:00:00.000Z');
  t.is(iso(nextOpening(h, at('2025-10-24T17:00:00Z'))), '2025-10-27T08:00:00.000Z');
  t.true(isOpen(h, at('2025-10-27T16:59:00Z'))); // 17:59 CET
  t.false(isOpen(h, at('2025-10-27T17:00:00Z')));
});

test('holidays close the whole local day; the next opening skips them', (t) => {
  const h = ny(weekdays('09:00', '17:00'), ['2025-12-25', '2025-12-26']);
  t.false(isOpen(h, at('2025-12-25T15:00:00Z')));
  t.is(iso(nextOpening(h, at('2025-12-24T23:00:00Z'))), '2025-12-29T14:00:00.000Z'); // Monday after Christmas, EST
});

test('an interval closing after midnight belongs to the day it opens, holidays included', (t) => {
  const h = ny({ sat: [{ open: '22:00', close: '02:00' }] });
  t.true(isOpen(h, at('2025-06-15T05:30:00Z'))); // Sunday 01:30 EDT, from Saturday's interval
  t.false(isOpen(h, at('2025-06-15T06:00:00Z'))); // 02:00
  t.is(iso(nextOpening(h, at('2025-06-15T06:00:00Z'))), '2025-06-22T02:00:00.000Z'); // next Saturday 22:00
  const holiday = ny({ sat: [{ open: '22:00', close: '02:00' }] }, ['2025-06-14']);
  t.false(isOpen(holiday, at('2025-06-15T05:30:00Z')));
});

test('24:00 closes at the end of the day and joins the next day without a gap', (t) => {
  const h = ny({ mon: [{ open: '20:00', close: '24:00' }], tue: [{ open: '00:00', close: '06:00' }] });
  t.true(isOpen(h, at('2025-06-17T03:59:00Z'))); // Mon 23:59
  t.true(isOpen(h, at('2025-06-17T04:00:00Z'))); // Tue 00:00
  t.false(isOpen(h, at('2025-06-17T10:00:00Z'))); // Tue 06:00
});

test('a business that is never open has no next opening', (t) => {
  const h = ny({});
  t.false(isOpen(h, at('2025-06-16T15:00:00Z')));
  t.is(nextOpening(h, at('2025-06-16T15:00:00Z')), null);
  const allHolidays = hoursFromSettings({ hours: { weekly: { mon: [] } } }, 'UTC');
  t.is(nextOpening(allHolidays, at('2025-06-16T15:00:00Z')), null);
});

test('openSlots gives local wall-clock multiples of the step, only while open, within the window', (t) => {
  const h = ny(weekdays('09:00', '17:00'));
  const slots = openSlots(h, at('2025-03-07T14:07:00Z'), 1, 15); // Friday 09:07 EST, one day ahead
  t.is(iso(slots[0]!), '2025-03-07T14:15:00.000Z');
  t.is(iso(slots.at(-1)!), '2025-03-07T21:45:00.000Z'); // 16:45, the last start before 17:00
  t.is(slots.length, 31);
  // Over the weekend into Monday after spring-forward: Monday's slots are at 09:00 EDT = 13:00Z.
  const monday = openSlots(h, at('2025-03-08T00:00:00Z'), 3, 60).map(iso);
  t.is(monday[0], '2025-03-10T13:00:00.000Z');
  t.is(monday.length, 8);
  for (const s of slots) t.true(isOpen(h, s));
});

test('openSlots aligns to the local clock in zones with a 45-minute offset', (t) => {
  const h: BusinessHours = { timezone: 'Asia/Kathmandu', weekly: weekdays('10:00', '12:00'), holidays: [] };
  const slots = openSlots(h, at('2025-06-16T04:00:00Z'), 1, 30); // 09:45 local
  t.deepEqual(slots.map(iso), ['2025-06-16T04:15:00.000Z', '2025-06-16T04:45:00.000Z', '2025-06-16T05:15:00.000Z', '2025-06-16T05:45:00.000Z']);
});
