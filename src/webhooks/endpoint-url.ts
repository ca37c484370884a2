import { isIP } from 'node:net';
import { isForbiddenAddress } from '../platform/net-address.ts';
import { isLoopback } from '../platform/net-address.ts';

/**
 * The URL an owner registers. HTTPS only; plain HTTP only to this host and only where WEBHOOK_ALLOW_HTTP_LOOPBACK
 * is on (the demo and the tests). A literal private, link-local or metadata address is refused here already;
 * a name is judged on the address it resolves to, when each delivery connects (webhook-sender.ts).
 */
export type UrlCheck = { ok: true; url: string } | { ok: false; reason: string };

const hostOf = (u: URL): string => u.hostname.replace(/^\[|\]$/g, '');
const isLoopbackName = (host: string): boolean => host === 'localhost' || isLoopback(host);

/** Whether deliveries may connect to `address` (checked on every resolved address, at connect time). */
export function addressAllowed(address: string, allowLoopback: boolean): boolean {
  if (allowLoopback && isLoopback(address)) return true;
  return !isForbiddenAddress(address);
}

export function checkEndpointUrl(raw: string, allowLoopback: boolean): UrlCheck {
  const text = raw.trim();
  if (text.length === 0 || text.length > 2000) return { ok: false, reason: 'Give the endpoint URL (at most 2000 characters).' };
  let u: URL;
  try { u = new URL(text); } catch { return { ok: false, reason: 'That is not a URL.' }; }
  if (u.username || u.password) return { ok: false, reason: 'The URL may not carry a user name or password.' };
  const host = hostOf(u);
  const loopback = isLoopbackName(host);
  if (u.protocol === 'http:' && !(allowLoopback && loopback)) return { ok: false, reason: 'The endpoint must use HTTPS.' };
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return { ok: false, reason: 'The endpoint must use HTTPS.' };
  if (loopback && !allowLoopback) return { ok: false, reason: `${host} is this server, not a public address.` };
  if (isIP(host) && !addressAllowed(host, allowLoopback)) return { ok: false, reason: `${host} is a private address.` };
  u.hash = '';
  return { ok: true, url: u.href };
}
