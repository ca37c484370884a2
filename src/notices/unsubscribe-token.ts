import { createHmac, timingSafeEqual } from 'node:crypto';
import { isNoticeKind, type NoticeKind } from './notice-kinds.ts';

/**
 * The token of a notice's unsubscribe link: names one owner and one event type, signed (HMAC-SHA256 with a key
 * derived from the installation's secret for this purpose alone), so the link works in one click without a login
 * and cannot be altered to name another owner or event. It does not expire: an unsubscribe link must keep
 * working in an old mail. Pure.
 */
export interface UnsubscribeClaims { subscriberId: string; kind: NoticeKind }

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function unsubscribeKey(secret: string): Buffer {
  return createHmac('sha256', secret).update('beckon:notice-unsubscribe:v1').digest();
}

const sign = (key: Buffer, payload: string) => createHmac('sha256', key).update(payload).digest('base64url');

export function signUnsubscribe(key: Buffer, c: UnsubscribeClaims): string {
  const payload = `${c.subscriberId}.${c.kind}`;
  return `${payload}.${sign(key, payload)}`;
}

export function verifyUnsubscribe(key: Buffer, token: unknown): UnsubscribeClaims | null {
  if (typeof token !== 'string' || token.length > 200) return null;
  const [subscriberId, kind, sig, ...rest] = token.split('.');
  if (rest.length || !subscriberId || !UUID.test(subscriberId) || !isNoticeKind(kind) || !sig) return null;
  const want = Buffer.from(sign(key, `${subscriberId}.${kind}`));
  const got = Buffer.from(sig);
  return want.length === got.length && timingSafeEqual(want, got) ? { subscriberId, kind } : null;
}
