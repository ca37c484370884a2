import { IANAZone } from 'luxon';
import { getCountries } from 'libphonenumber-js/max';
import { z } from 'zod';
import { passwordProblem } from '../auth/password.ts';
import type { FieldError } from '../platform/errors.ts';
import { parsePhone } from '../phone/phone-number.ts';
import { WEEKDAYS, hoursSettingsSchema, type HoursSettings } from '../schedule/business-hours.ts';
import { parseDomainPattern } from '../subscribers/domain-match.ts';
import { messagesSchema, skinSchema, type Messages, type Skin } from '../subscribers/settings.ts';

/**
 * Pure validation of every portal form: raw form fields in, clean values or field errors out. Forms are
 * parsed once here, at the edge; services and repositories receive only validated values.
 */
export type Parsed<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

const COUNTRIES = new Set<string>(getCountries());
const str = (v: unknown): string => (typeof v === 'string' ? v : Array.isArray(v) ? String(v[0] ?? '') : '');
const err = (field: string, message: string, code = 'invalid'): FieldError => ({ field, code, message });

export function countryOptions(selected: string): { code: string; name: string; selected: boolean }[] {
  const names = new Intl.DisplayNames(['en'], { type: 'region' });
  return [...COUNTRIES].map((code) => ({ code, name: names.of(code) ?? code, selected: code === selected }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function timezoneOptions(selected: string): { name: string; selected: boolean }[] {
  const zones = Intl.supportedValuesOf('timeZone');
  if (!zones.includes('UTC')) zones.unshift('UTC');
  return zones.map((name) => ({ name, selected: name === selected }));
}

function name(raw: unknown, errors: FieldError[]): string {
  const v = str(raw).trim().replace(/\s+/g, ' ');
  if (v.length < 2 || v.length > 80) errors.push(err('name', 'Give your business name (2 to 80 characters).'));
  return v;
}

function country(raw: unknown, errors: FieldError[]): string {
  const v = str(raw).trim().toUpperCase();
  if (!COUNTRIES.has(v)) errors.push(err('country', 'Choose a country.'));
  return v;
}

function timezone(raw: unknown, errors: FieldError[]): string {
  const v = str(raw).trim();
  if (!IANAZone.isValidZone(v)) errors.push(err('timezone', 'Choose a time zone.'));
  return v;
}

/** Numbers Beckon rings on a subscriber's side: valid, and not premium-rate (a verification call costs money). */
function businessPhone(raw: unknown, defaultCountry: string, field = 'phone'): { e164: string } | FieldError {
  const p = parsePhone(str(raw), COUNTRIES.has(defaultCountry) ? defaultCountry : 'US');
  if (!p.ok) return err(field, p.message, p.code);
  if (p.type === 'PREMIUM_RATE' || p.type === 'SHARED_COST') return err(field, 'Premium-rate numbers cannot be used.', 'phone_premium');
  return { e164: p.e164 };
}

export function parseDomainList(raw: unknown): Parsed<string[]> {
  const items = str(raw).split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) return { ok: false, errors: [err('domains', 'List at least one host your pages live on, e.g. shop.example.com.')] };
  if (items.length > 20) return { ok: false, errors: [err('domains', 'List at most 20 hosts here; add more later in the portal.')] };
  const hosts: string[] = [];
  for (const item of items) {
    const p = parseDomainPattern(item);
    if (!p.ok) return { ok: false, errors: [err('domains', p.message)] };
    if (!hosts.includes(p.pattern.host)) hosts.push(p.pattern.host);
  }
  return { ok: true, value: hosts };
}

/** Where an account is and its business phone: signup and the profile ask for the same three, in this order. */
function placeAndPhone(body: Record<string, unknown>, errors: FieldError[]): { country: string; timezone: string; phoneE164: string | null } {
  const c = country(body.country, errors);
  const tz = timezone(body.timezone, errors);
  const phone = businessPhone(body.phone, c);
  if ('field' in phone) errors.push(phone);
  return { country: c, timezone: tz, phoneE164: 'field' in phone ? null : phone.e164 };
}

export interface SignupInput { name: string; email: string; password: string; domains: string[]; phoneE164: string; country: string; timezone: string }

export function parseSignup(body: Record<string, unknown>): Parsed<SignupInput> {
  const errors: FieldError[] = [];
  const n = name(body.name, errors);
  const email = str(body.email).trim().toLowerCase();
  if (!z.email().safeParse(email).success || email.length > 254) errors.push(err('email', 'Give a valid email address.'));
  const password = str(body.password);
  const pw = passwordProblem(password);
  if (pw) errors.push(err('password', pw));
  const where = placeAndPhone(body, errors);
  const domains = parseDomainList(body.domains);
  if (!domains.ok) errors.push(...domains.errors);
  if (errors.length || where.phoneE164 === null || !domains.ok) return { ok: false, errors };
  return { ok: true, value: { name: n, email, password, domains: domains.value, phoneE164: where.phoneE164, country: where.country, timezone: where.timezone } };
}

export interface ProfileInput { name: string; country: string; timezone: string; phoneE164: string }

export function parseProfile(body: Record<string, unknown>): Parsed<ProfileInput> {
  const errors: FieldError[] = [];
  const n = name(body.name, errors);
  const where = placeAndPhone(body, errors);
  if (errors.length || where.phoneE164 === null) return { ok: false, errors };
  return { ok: true, value: { name: n, country: where.country, timezone: where.timezone, phoneE164: where.phoneE164 } };
}

export interface DepartmentInput { name: string; answeredBy: 'phone' | 'agents'; phoneE164: string | null; position: number }

export function parseDepartment(body: Record<string, unknown>, defaultCountry: string): Parsed<DepartmentInput> {
  const errors: FieldError[] = [];
  const n = str(body.name).trim().replace(/\s+/g, ' ');
  if (n.length < 1 || n.length > 60) errors.push(err('name', 'Give the department a name (up to 60 characters).'));
  const answeredBy = str(body.answeredBy) === 'agents' ? 'agents' : 'phone';
  let phoneE164: string | null = null;
  if (answeredBy === 'phone') {
    const p = businessPhone(body.phone, defaultCountry);
    if ('field' in p) errors.push(p); else phoneE164 = p.e164;
  }
  const position = Number(str(body.position) || '0');
  if (!Number.isInteger(position) || position < 0 || position > 999) errors.push(err('position', 'Order is a whole number from 0 to 999.'));
  if (errors.length) return { ok: false, errors };
  return { ok: true, value: { name: n, answeredBy, phoneE164, position } };
}

/** A new password typed twice (reset link form). */
export function parseNewPassword(body: Record<string, unknown>): Parsed<string> {
  const next = str(body.newPassword);
  const problem = passwordProblem(next);
  if (problem) return { ok: false, errors: [err('newPassword', problem)] };
  if (next !== str(body.confirmPassword)) return { ok: false, errors: [err('confirmPassword', 'The two new passwords differ.')] };
  return { ok: true, value: next };
}

export function parsePasswordChange(body: Record<string, unknown>): Parsed<{ current: string; next: string }> {
  const next = parseNewPassword(body);
  return next.ok ? { ok: true, value: { current: str(body.currentPassword), next: next.value } } : next;
}

/**
 * Business hours from the no-JavaScript form: per weekday two optional intervals `<day>_open1`/`<day>_close1`
 * (and 2), a holidays textarea (one YYYY-MM-DD per line). A day with no interval is closed.
 */
export function parseHoursForm(body: Record<string, unknown>): Parsed<HoursSettings> {
  const errors: FieldError[] = [];
  const weekly: Record<string, { open: string; close: string }[]> = {};
  for (const day of WEEKDAYS) {
    weekly[day] = [];
    for (const slot of [1, 2]) {
      // Time inputs send HH:MM (HH:MM:SS with a finer step); they cannot say 24:00, so a close at 00:00 is
      // midnight at the end of the day, as 24:00 is (09:00–00:00 and 00:00–00:00 are open until midnight).
      const open = str(body[`${day}_open${slot}`]).trim().replace(/^(\d\d:\d\d):\d\d$/, '$1');
      const rawClose = str(body[`${day}_close${slot}`]).trim().replace(/^(\d\d:\d\d):\d\d$/, '$1');
      const close = rawClose === '00:00' ? '24:00' : rawClose;
      if (!open && !close) continue;
      if (!open || !close) { errors.push(err(`${day}`, `Give both opening and closing time for ${day}.`)); continue; }
      weekly[day]!.push({ open, close });
    }
  }
  const holidays = str(body.holidays).split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
  const parsed = hoursSettingsSchema.safeParse({ weekly, holidays: [...new Set(holidays)].sort() });
  if (!parsed.success) {
    for (const i of parsed.error.issues) errors.push(err(String(i.path[0] === 'weekly' ? i.path[1] : 'holidays'), i.message));
  }
  if (errors.length || !parsed.success) return { ok: false, errors };
  return { ok: true, value: parsed.data };
}

export function parseSkinForm(body: Record<string, unknown>): Parsed<Skin> {
  const r = skinSchema.safeParse({
    primaryColor: str(body.primaryColor), textColor: str(body.textColor), buttonText: str(body.buttonText),
    position: str(body.position), logoUrl: str(body.logoUrl), language: str(body.language),
  });
  return r.success ? { ok: true, value: r.data } : { ok: false, errors: r.error.issues.map((i) => err(String(i.path[0]), i.message)) };
}

export function parseMessagesForm(body: Record<string, unknown>): Parsed<Messages> {
  const r = messagesSchema.safeParse({ greeting: str(body.greeting), announcement: str(body.announcement) });
  return r.success ? { ok: true, value: r.data } : { ok: false, errors: r.error.issues.map((i) => err(String(i.path[0]), i.message)) };
}

/** Slug from a business name: ascii, lowercase, dashes; fits subscribers.slug's check. */
export function slugify(name: string): string {
  const base = name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40).replace(/-+$/, '');
  return base.length >= 2 ? base : `shop-${base || 'x'}`.replace(/-+$/, '');
}

/**
 * Slugs no signup gets: the demo's own (`demo`, whose page is Beckon's home page in the demo) and the names of
 * Beckon's own paths and parts, so a slug never reads as, or is taken for, one of Beckon's pages.
 */
export const RESERVED_SLUGS: ReadonlySet<string> = new Set([
  'demo', 'admin', 'portal', 'api', 'agent', 'agents', 'c', 'call', 'calls', 'static', 'public', 'assets', 'widget',
  'healthz', 'readyz', 'metrics', 'login', 'logout', 'signup', 'forgot', 'reset', 'password', 'verify', 'status',
  'notices', 'opt-out', 'preview', 'asterisk', 'sim', 'ws', 'www', 'beckon',
]);

/** Slugs to try, in order, for a name whose plain slug may be taken; a reserved slug is never one of them. */
export function slugCandidates(name: string, random: () => string): string[] {
  const base = slugify(name);
  const numbered = [2, 3, 4, 5].map((n) => `${base}-${n}`);
  return [...(RESERVED_SLUGS.has(base) ? [] : [base]), ...numbered, `${base}-${random()}`];
}
