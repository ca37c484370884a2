import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * `Beckon-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, one v1 per secret that signs:
 * while a rotated-out secret is still in its overlap, both sign, so a receiver holding either verifies.
 * The timestamp is inside the signed text, so a captured delivery cannot be replayed later with a new t.
 */
export function signatureHeader(secrets: readonly string[], body: string, unixSec: number): string {
  return [`t=${unixSec}`, ...secrets.map((s) => `v1=${hmac(s, `${unixSec}.${body}`)}`)].join(',');
}

const hmac = (secret: string, text: string): string => createHmac('sha256', secret).update(text).digest('hex');

/**
 * What a receiver does (docs/webhooks.md shows the same in ten lines): true when one v1 matches `secret` and t is
 * within `toleranceSec` of now.
 */
export function verifySignature(header: string, body: string, secret: string, o: { toleranceSec?: number; nowSec?: number } = {}): boolean {
  const parts = header.split(',').map((p) => p.split('=', 2) as [string, string]);
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  if (!Number.isInteger(t) || Math.abs((o.nowSec ?? Date.now() / 1000) - t) > (o.toleranceSec ?? 300)) return false;
  const expected = Buffer.from(hmac(secret, `${t}.${body}`), 'hex');
  return parts.some(([k, v]) => k === 'v1' && v?.length === expected.length * 2 && timingSafeEqual(Buffer.from(v, 'hex'), expected));
}

/** A new endpoint secret: 192 random bits, shown to the owner once. */
export const newWebhookSecret = (): string => `whsec_${randomBytes(24).toString('base64url')}`;
