import { DateTime, IANAZone } from 'luxon';
import { z } from 'zod';

/**
 * Business hours in the subscriber's own time zone. Pure: no clock, no I/O; every function takes the
 * moment it reasons about.
 *
 * Semantics (the portal's editor and the directory API rely on them):
 * - `weekly[day]` lists intervals of local wall-clock time `HH:MM`–`HH:MM` (close `24:00` = end of day).
 * - An interval whose close is earlier than its open (`22:00`–`02:00`) runs past midnight into the next
 *   local day. It belongs to the day it opens on; an equal open and close is an empty interval.
 * - A holiday (local date `YYYY-MM-DD`) cancels every interval that OPENS on that date, including the
 *   part of an overnight interval that spills into the following day.
 * - A day missing from `weekly` is closed. `hoursFromSettings` turns an unset `weekly` into 24/7.
 * - DST: wall-clock times are resolved in the zone each day, so "09:00" is 09:00 local on both sides of
 *   a change. As in RFC 5545 (iCalendar), a time that does not exist (02:30 on spring-forward day) is read
 *   with the offset before the change (= 03:30), and one that occurs twice (01:30 on fall-back day) is the
 *   first occurrence.
 */
export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';
export interface BusinessHours { timezone: string; weekly: Partial<Record<Weekday, { open: string; close: string }[]>>; holidays: string[] /* local dates YYYY-MM-DD */ }

export const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'time must be HH:MM (00:00–24:00)');
const interval = z.object({ open: hhmm, close: hhmm });
const localDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'date must be YYYY-MM-DD')
  .refine((d) => DateTime.fromISO(d).isValid, 'not a calendar date');

/** The shape of `subscribers.settings.hours`; the portal validates edits with it. */
export const hoursSettingsSchema = z.object({
  weekly: z.partialRecord(z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']), z.array(interval).max(12)).optional(),
  holidays: z.array(localDate).max(400).optional(),
});
export type HoursSettings = z.infer<typeof hoursSettingsSchema>;

const ALWAYS: Partial<Record<Weekday, { open: string; close: string }[]>> =
  Object.fromEntries(WEEKDAYS.map((d) => [d, [{ open: '00:00', close: '24:00' }]]));

// luxon's isValidZone builds an Intl.DateTimeFormat on every call: 5-8% of the accept path's CPU unless
// memoised (npm run bench, CPU profile of `beckon web`). Zone names are few; the map stays small.
const validZones = new Map<string, boolean>();
function isValidZone(zone: string): boolean {
  let ok = validZones.get(zone);
  if (ok === undefined) {
    ok = IANAZone.isValidZone(zone);
    if (validZones.size > 1000) validZones.clear();
    validZones.set(zone, ok);
  }
  return ok;
}

// The accept path asks twice per request (guard, first slot) with the same settings object, which the
// subscriber cache keeps for a few seconds: parse it once per object. Settings are never mutated in place
// (a change is a new row read, hence a new object), so identity is a safe key.
const parsedHours = new WeakMap<object, Map<string, BusinessHours>>();

/** From subscribers.settings.hours ({weekly, holidays}) and the subscriber's timezone. Unset weekly = open 24/7. */
export function hoursFromSettings(settings: Record<string, unknown>, timezone: string): BusinessHours {
  if (settings === null || typeof settings !== 'object') return parseHours(settings, timezone);
  let byZone = parsedHours.get(settings);
  if (!byZone) { byZone = new Map(); parsedHours.set(settings, byZone); }
  let hours = byZone.get(timezone);
  if (!hours) { hours = parseHours(settings, timezone); byZone.set(timezone, hours); }
  return hours;
}

function parseHours(settings: Record<string, unknown>, timezone: string): BusinessHours {
  const zone = isValidZone(timezone) ? timezone : 'UTC';
  const raw = (settings?.hours ?? {}) as Record<string, unknown>;
  const weeklyRaw = raw && typeof raw === 'object' ? raw.weekly : undefined;
  // Settings were validated when written; a malformed entry read back is dropped rather than trusted,
  // so one bad interval cannot open the business at 3 a.m. or crash the accept path.
  let weekly: BusinessHours['weekly'];
  if (weeklyRaw == null) weekly = { ...ALWAYS };
  else {
    weekly = {};
    if (typeof weeklyRaw === 'object') {
      for (const day of WEEKDAYS) {
        const list = (weeklyRaw as Record<string, unknown>)[day];
        if (!Array.isArray(list)) continue;
        weekly[day] = list.filter((i) => interval.safeParse(i).success);
      }
    }
  }
  const holidays = Array.isArray(raw?.holidays) ? (raw.holidays as unknown[]).filter((d): d is string => localDate.safeParse(d).success) : [];
  return { timezone: zone, weekly, holidays };
}

interface Span { start: number; end: number }

const DAY = 86_400_000;

function minutesOf(t: string): number {
  const [h, m] = t.split(':').map(Number);
  return h! * 60 + m!;
}

// Offsets come from Intl (what luxon uses underneath), memoised per zone and quarter hour: every offset
// change in the tz database falls on a quarter hour, and a directory page asks the same questions often.
const formats = new Map<string, Intl.DateTimeFormat>();
const offsets = new Map<string, number>();

/** The zone's UTC offset in minutes at instant `ms`. */
function offsetAt(zone: string, ms: number): number {
  const bucket = Math.floor(ms / 900_000);
  const key = `${zone}|${bucket}`;
  const hit = offsets.get(key);
  if (hit !== undefined) return hit;
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formats.set(zone, f);
  }
  const at = bucket * 900_000;
  const p = Object.fromEntries(f.formatToParts(at).map((x) => [x.type, x.value]));
  const wall = Date.UTC(+p.year!, +p.month! - 1, +p.day!, +p.hour! % 24, +p.minute!, +p.second!);
  const offset = Math.round((wall - at) / 60_000);
  if (offsets.size > 100_000) offsets.clear();
  offsets.set(key, offset);
  return offset;
}

/** A local calendar date, as the UTC midnight of the same Y-M-D (time-zone free). */
type LocalDay = number;

function localDayOf(zone: string, ms: number): LocalDay {
  const wall = ms + offsetAt(zone, ms) * 60_000;
  return wall - (((wall % DAY) + DAY) % DAY);
}

// Spans per hours object and local day: each costs several offset lookups and the accept path asks for
// today's and yesterday's on every request (uncached, isOpen is ~5% of its CPU, npm run bench profile). A day's spans
// never change (hours objects are not mutated, see hoursFromSettings); a few days per object are kept.
const spansCache = new WeakMap<BusinessHours, Map<LocalDay, Span[]>>();

/** Absolute [start, end) spans of the intervals that open on the local date `day`. */
function spansOn(h: BusinessHours, day: LocalDay): Span[] {
  let byDay = spansCache.get(h);
  if (!byDay) { byDay = new Map(); spansCache.set(h, byDay); }
  const hit = byDay.get(day);
  if (hit) return hit;
  const spans = computeSpans(h, day);
  if (byDay.size >= 64) byDay.delete(byDay.keys().next().value!);
  byDay.set(day, spans);
  return spans;
}

function computeSpans(h: BusinessHours, day: LocalDay): Span[] {
  const list = h.weekly[WEEKDAYS[(new Date(day).getUTCDay() + 6) % 7]!];
  if (!list || list.length === 0) return [];
  if (h.holidays.length && h.holidays.includes(new Date(day).toISOString().slice(0, 10))) return [];
  const out: Span[] = [];
  for (const { open, close } of list) {
    const o = minutesOf(open);
    let c = minutesOf(close);
    if (c === o) continue;
    if (c < o) c += 24 * 60; // runs past midnight
    const start = wallClock(h.timezone, day, o);
    const end = wallClock(h.timezone, day, c);
    if (end > start) out.push({ start, end });
  }
  return out.sort((a, b) => a.start - b.start);
}

/**
 * Local wall-clock `minutes` after the start of `day` (may exceed 24 h), resolved in the zone the way
 * RFC 5545 does: a time that occurs twice takes its first occurrence; a time skipped by a change is read
 * with the offset in force before it (02:30 on spring-forward day is 03:30).
 */
function wallClock(zone: string, day: LocalDay, minutes: number): number {
  const wall = day + minutes * 60_000;
  const before = offsetAt(zone, wall - DAY);
  const after = offsetAt(zone, wall + DAY);
  const fits = (ms: number) => ms + offsetAt(zone, ms) * 60_000 === wall;
  const a = wall - before * 60_000;
  const b = wall - after * 60_000;
  const candidates = [a, b].filter(fits);
  return candidates.length ? Math.min(...candidates) : a;
}

export function isOpen(h: BusinessHours, at: Date): boolean {
  const t = +at;
  const today = localDayOf(h.timezone, t);
  // Yesterday's overnight intervals may still be running.
  for (const day of [today - DAY, today]) {
    if (spansOn(h, day).some((s) => s.start <= t && t < s.end)) return true;
  }
  return false;
}

/** The next moment the business is open at or after `from` (== from when open now); null if never open within 366 days. */
export function nextOpening(h: BusinessHours, from: Date): Date | null {
  const t = +from;
  const first = localDayOf(h.timezone, t) - DAY;
  if (!WEEKDAYS.some((d) => h.weekly[d]?.length)) return null;
  for (let i = 0; i <= 367; i++) {
    for (const s of spansOn(h, first + i * DAY)) {
      if (s.end > t) return new Date(Math.max(s.start, t));
    }
  }
  return null;
}

/**
 * Open slots (start times every `stepMin` minutes) within the next `days` days, for the widget's time picker.
 * Slots sit on local clock multiples of `stepMin` (09:00, 09:15, ... for 15) and start before closing time.
 */
export function openSlots(h: BusinessHours, from: Date, days: number, stepMin: number): Date[] {
  const step = Math.max(1, Math.floor(stepMin)) * 60_000;
  const t = +from;
  const until = t + Math.max(0, days) * 86_400_000;
  const seen = new Set<number>();
  const first = localDayOf(h.timezone, t) - DAY;
  for (let i = 0; i <= Math.ceil(days) + 2; i++) {
    for (const s of spansOn(h, first + i * DAY)) {
      let slot = alignUp(h, Math.max(s.start, t), step);
      for (; slot < s.end && slot < until; slot += step) seen.add(slot);
    }
  }
  return [...seen].sort((a, b) => a - b).map((ms) => new Date(ms));
}

/** Rounds up to the next local wall-clock multiple of `step` (so zones with :30/:45 offsets get round times). */
function alignUp(h: BusinessHours, ms: number, step: number): number {
  const wall = ms + offsetAt(h.timezone, ms) * 60_000;
  const rem = (((wall % DAY) + DAY) % DAY) % step;
  return rem === 0 ? ms : ms + (step - rem);
}
