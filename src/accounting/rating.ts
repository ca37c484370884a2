/**
 * Rating (pure). Rates are integer micro-units of the currency per minute; a leg's charge is rounded up to
 * the cent once, per leg, so every figure a subscriber sees is an exact integer number of cents.
 */
export interface Rate {
  planId: string | null;
  prefix: string;
  pricePerMinMicros: number;
  /** The first interval, billed in full as soon as a leg is answered (the "30" of 30/6). */
  minSeconds: number;
  /** Every interval after the first (the "6" of 30/6). */
  incrementSeconds: number;
  /** Floor on the charge of an answered leg. */
  minChargeCents: number;
}

export interface Rating {
  ratePrefix: string | null;
  pricePerMinMicros: number | null;
  billedSec: number;
  chargeCents: number;
}

const MICROS_PER_CENT = 10_000n;

/** E.164 (+12025550111) or bare digits -> digits only; null for anything that is not a phone number (SIP agents). */
export function destinationDigits(number: string | null | undefined): string | null {
  if (!number) return null;
  const digits = number.replace(/^\+/, '');
  return /^[0-9]{3,15}$/.test(digits) ? digits : null;
}

/**
 * The rate for a destination: the longest matching prefix among the plan's own rates and the base table
 * (plan_id null); at equal length the plan's rate wins, so a plan overrides exactly what it lists.
 */
export function findRate(rates: readonly Rate[], digits: string, planId: string | null): Rate | null {
  let best: Rate | null = null;
  for (const r of rates) {
    if (r.planId !== null && r.planId !== planId) continue;
    if (!digits.startsWith(r.prefix)) continue;
    if (!best || r.prefix.length > best.prefix.length || (r.prefix.length === best.prefix.length && r.planId !== null && best.planId === null)) best = r;
  }
  return best;
}

/** Seconds billed for billable seconds under a min/increment scheme (0 stays 0: unanswered legs are free). */
export function billedSeconds(billableSec: number, rate: Pick<Rate, 'minSeconds' | 'incrementSeconds'>): number {
  if (!Number.isInteger(billableSec) || billableSec < 0) throw new RangeError(`billable seconds must be a whole number >= 0, got ${billableSec}`);
  if (billableSec === 0) return 0;
  if (billableSec <= rate.minSeconds) return rate.minSeconds;
  const over = billableSec - rate.minSeconds;
  return rate.minSeconds + Math.ceil(over / rate.incrementSeconds) * rate.incrementSeconds;
}

/** Charge in cents for billed seconds: ceil(seconds x price per minute / 60), never below the minimum charge. */
export function chargeCents(billedSec: number, rate: Pick<Rate, 'pricePerMinMicros' | 'minChargeCents'>): number {
  if (billedSec === 0) return 0;
  const num = BigInt(billedSec) * BigInt(rate.pricePerMinMicros);
  const den = 60n * MICROS_PER_CENT;
  const cents = (num + den - 1n) / den;
  return Number(cents > BigInt(rate.minChargeCents) ? cents : BigInt(rate.minChargeCents));
}

/** Rates one leg; a destination without a rate (an agent's SIP endpoint, an unknown prefix) costs nothing. */
export function rateLeg(billableSec: number, toNumber: string | null, rates: readonly Rate[], planId: string | null): Rating {
  const digits = destinationDigits(toNumber);
  const rate = digits ? findRate(rates, digits, planId) : null;
  if (!rate) return { ratePrefix: null, pricePerMinMicros: null, billedSec: 0, chargeCents: 0 };
  const billedSec = billedSeconds(billableSec, rate);
  return { ratePrefix: rate.prefix, pricePerMinMicros: rate.pricePerMinMicros, billedSec, chargeCents: chargeCents(billedSec, rate) };
}

/** The prefix of the rate a web call's browser leg is rated by: set one (plan or base) to charge for web legs. */
export const WEB_LEG_PREFIX = 'web';

/**
 * Rates a web call's browser leg: by the rate whose prefix is exactly WEB_LEG_PREFIX (a plan's over the base
 * table's), free when there is none. No number rate applies to it, a catch-all prefix included: the leg crosses
 * no carrier.
 */
export function rateWebLeg(billableSec: number, rates: readonly Rate[], planId: string | null): Rating {
  const own = rates.filter((r) => r.prefix === WEB_LEG_PREFIX);
  const rate = findRate(own, WEB_LEG_PREFIX, planId);
  if (!rate) return { ratePrefix: null, pricePerMinMicros: null, billedSec: 0, chargeCents: 0 };
  const billedSec = billedSeconds(billableSec, rate);
  return { ratePrefix: rate.prefix, pricePerMinMicros: rate.pricePerMinMicros, billedSec, chargeCents: chargeCents(billedSec, rate) };
}

/** "0.012" from 12000 micros; cents -> "1.20". Display only: sums are done on the integers. */
export function formatMicros(micros: number): string {
  const neg = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  const whole = Math.floor(abs / 1_000_000);
  const frac = String(abs % 1_000_000).padStart(6, '0').replace(/0+$/, '');
  return `${neg}${whole}.${frac.length >= 2 ? frac : frac.padEnd(2, '0')}`;
}

export function formatCents(cents: number): string {
  const neg = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${neg}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** Parses a decimal price per minute ("0.012") into micros exactly, without floating point. */
export function parseMicros(text: string): number | null {
  const m = /^\s*(\d{1,6})(?:\.(\d{1,6}))?\s*$/.exec(text);
  if (!m) return null;
  return Number(m[1]) * 1_000_000 + Number((m[2] ?? '').padEnd(6, '0'));
}

export function parseCents(text: string): number | null {
  const m = /^\s*(\d{1,9})(?:\.(\d{1,2}))?\s*$/.exec(text);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}
