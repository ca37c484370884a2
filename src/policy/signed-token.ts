import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { requesterNetwork } from '../platform/requester-network.ts';

/**
 * Stateless signed tokens (HMAC-SHA256), pure apart from the randomness of a nonce:
 * - form tokens: prove that a request comes from a form or widget Beckon served for that subscriber, recently;
 * - opt-out links: name a phone number that may be put on the do-not-call list without a login.
 * Each kind signs with its own derived key, so one kind can never be passed off as the other.
 */

export function deriveKey(secret: string, purpose: 'form-token' | 'opt-out'): Buffer {
  return createHmac('sha256', secret).update(`beckon:${purpose}:v1`).digest();
}

function sign(key: Buffer, payload: string): string {
  return createHmac('sha256', key).update(payload).digest('base64url');
}

function sameSig(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const SLUG = /^[a-z0-9][a-z0-9-]{1,62}$/;

export interface FormTokenClaims { slug: string; issuedAt: number; nonce: string }

/**
 * `v1.<slug>.<issued ms, base36>.<nonce>.<sig>` — readable enough to debug, useless to forge. `bind` (the
 * client IP it was given to) is signed but not written in the token: the token only verifies for the same
 * value, so tokens minted from one address cannot be handed out to a botnet.
 */
export function issueFormToken(key: Buffer, slug: string, now: number, nonce = randomBytes(9).toString('base64url'), bind = ''): string {
  const payload = `v1.${slug}.${now.toString(36)}.${nonce}`;
  return `${payload}.${sign(key, bound(payload, bind))}`;
}

function bound(payload: string, bind: string): string {
  return bind ? `${payload}\u0000${requesterNetwork(bind)}` : payload;
}

export type FormTokenCheck =
  | { ok: true; claims: FormTokenClaims }
  | { ok: false; code: 'form_token_missing' | 'form_token_invalid' | 'form_token_expired' | 'form_token_too_fast' };

export function verifyFormToken(key: Buffer, token: unknown, slug: string, now: number, o: { ttlSec: number; minAgeMs: number; bind?: string }): FormTokenCheck {
  if (typeof token !== 'string' || token === '') return { ok: false, code: 'form_token_missing' };
  const parts = token.split('.');
  if (parts.length !== 5 || parts[0] !== 'v1' || !SLUG.test(parts[1]!)) return { ok: false, code: 'form_token_invalid' };
  const payload = parts.slice(0, 4).join('.');
  if (!sameSig(sign(key, bound(payload, o.bind ?? '')), parts[4]!)) return { ok: false, code: 'form_token_invalid' };
  // A valid token for another subscriber is a replay across tenants, not a slip.
  if (parts[1] !== slug) return { ok: false, code: 'form_token_invalid' };
  const issuedAt = parseInt(parts[2]!, 36);
  if (!Number.isFinite(issuedAt) || issuedAt > now + 60_000) return { ok: false, code: 'form_token_invalid' };
  if (now - issuedAt > o.ttlSec * 1000) return { ok: false, code: 'form_token_expired' };
  if (now - issuedAt < o.minAgeMs) return { ok: false, code: 'form_token_too_fast' };
  return { ok: true, claims: { slug, issuedAt, nonce: parts[3]! } };
}

/** An opt-out link token for one number; it does not expire (a "stop calling me" link must keep working). */
export function signOptOut(key: Buffer, e164: string): string {
  const payload = Buffer.from(e164).toString('base64url');
  return `${payload}.${sign(key, `opt-out.${e164}`)}`;
}

export function verifyOptOut(key: Buffer, token: unknown): string | null {
  if (typeof token !== 'string' || token.length > 200) return null;
  const [payload, sig] = token.split('.');
  if (!payload || !sig) return null;
  const e164 = Buffer.from(payload, 'base64url').toString();
  if (!/^\+[1-9]\d{5,15}$/.test(e164)) return null;
  return sameSig(sign(key, `opt-out.${e164}`), sig) ? e164 : null;
}
