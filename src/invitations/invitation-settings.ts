import type { FieldError } from '../platform/errors.ts';
import type { Invite } from '../widget/client/invite/triggers.ts';
import { MAX_PATTERNS, pageMatches, patternProblem, patternUsable } from './url-pattern.ts';

/**
 * A subscriber's proactive invitation, kept in subscribers.settings.invitation (the subscriber cache carries it to
 * the directory at no cost). Defaults live here: an unset or malformed stored field reads as its default. Pure.
 */
export interface InvitationSettings {
  enabled: boolean;
  /** what the invitation says, plain text */
  text: string;
  /** show after this many seconds on a page; null = not on time */
  delaySec: number | null;
  /** show when a desktop visitor's pointer leaves the page through the top */
  exitIntent: boolean;
  /** show once the visitor has scrolled past this percentage of the page; null = not on scrolling */
  scrollPercent: number | null;
  /** pages it is offered on (url-pattern.ts); empty = every page */
  urlPatterns: string[];
}

export const DEFAULT_INVITATION: InvitationSettings = {
  enabled: false, text: '', delaySec: null, exitIntent: false, scrollPercent: null, urlPatterns: [],
};

export const TEXT_MAX = 140;
export const DELAY_RANGE = [1, 3600] as const;
export const SCROLL_RANGE = [10, 100] as const;

const inRange = (v: unknown, [lo, hi]: readonly [number, number]): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;

/** The stored invitation over the defaults, field by field. */
export function invitationFromSettings(settings: Record<string, unknown>): InvitationSettings {
  const raw = (settings.invitation && typeof settings.invitation === 'object' ? settings.invitation : {}) as Record<string, unknown>;
  const text = typeof raw.text === 'string' && raw.text.length <= TEXT_MAX ? raw.text : '';
  const patterns = Array.isArray(raw.urlPatterns) ? raw.urlPatterns.filter((p): p is string => typeof p === 'string' && patternUsable(p)) : [];
  return {
    enabled: raw.enabled === true && text !== '',
    text,
    delaySec: inRange(raw.delaySec, DELAY_RANGE) ? raw.delaySec : null,
    exitIntent: raw.exitIntent === true,
    scrollPercent: inRange(raw.scrollPercent, SCROLL_RANGE) ? raw.scrollPercent : null,
    urlPatterns: patterns.slice(0, MAX_PATTERNS),
  };
}

/**
 * What the widget is sent for one page: present only when the invitation is on and the page matches. Compact
 * (it rides on every directory answer). With no trigger but page patterns, it shows on arrival (after 0 s).
 */
export function inviteForPage(inv: InvitationSettings, pageUrl: string): Invite | null {
  if (!inv.enabled) return null;
  if (inv.urlPatterns.length && !pageMatches(inv.urlPatterns, pageUrl)) return null;
  const out: Invite = { text: inv.text };
  if (inv.delaySec !== null) out.after = inv.delaySec;
  if (inv.scrollPercent !== null) out.scroll = inv.scrollPercent;
  if (inv.exitIntent) out.exit = true;
  if (out.after === undefined && out.scroll === undefined && !out.exit) out.after = 0;
  return out;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : Array.isArray(v) ? String(v[0] ?? '') : '');
const checked = (v: unknown): boolean => { const s = str(v); return s === 'on' || s === 'true' || s === '1'; };

/** A whole number within `range` from a form field; '' is null. */
function optionalNumber(raw: unknown, range: readonly [number, number], field: string, what: string, errors: FieldError[]): number | null {
  const s = str(raw).trim();
  if (s === '') return null;
  const n = Number(s);
  if (!/^\d+$/.test(s) || !inRange(n, range)) {
    errors.push({ field, code: 'invalid', message: `${what} must be a whole number from ${range[0]} to ${range[1]}.` });
    return null;
  }
  return n;
}

/** The portal's Invitations form: raw fields in, the settings or field errors out. */
export function parseInvitationForm(body: Record<string, unknown>):
  { ok: true; value: InvitationSettings } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const enabled = checked(body.enabled);
  const text = str(body.text).trim().replace(/\s+/g, ' ');
  if (text.length > TEXT_MAX) errors.push({ field: 'text', code: 'too_long', message: `Keep the invitation under ${TEXT_MAX} characters.` });
  if (enabled && text === '') errors.push({ field: 'text', code: 'required', message: 'Write what the invitation says.' });
  const delaySec = optionalNumber(body.delaySec, DELAY_RANGE, 'delaySec', 'The seconds on a page', errors);
  const scrollPercent = optionalNumber(body.scrollPercent, SCROLL_RANGE, 'scrollPercent', 'The share of the page', errors);
  const lines = str(body.urlPatterns).split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const urlPatterns = [...new Set(lines)];
  if (urlPatterns.length > MAX_PATTERNS) errors.push({ field: 'urlPatterns', code: 'too_many', message: `Give at most ${MAX_PATTERNS} page patterns.` });
  for (const p of urlPatterns) {
    const problem = patternProblem(p);
    if (problem) { errors.push({ field: 'urlPatterns', code: 'invalid', message: `The pattern "${p.slice(0, 60)}" ${problem}.` }); break; }
  }
  const exitIntent = checked(body.exitIntent);
  if (enabled && !errors.length && delaySec === null && scrollPercent === null && !exitIntent && !urlPatterns.length) {
    errors.push({ field: 'enabled', code: 'no_trigger', message: 'Choose when the invitation shows: a time on the page, exit intent, scrolling or page patterns.' });
  }
  if (errors.length) return { ok: false, errors };
  return { ok: true, value: { enabled, text, delaySec, exitIntent, scrollPercent, urlPatterns } };
}
