import { timingSafeEqual, createHash } from 'node:crypto';
import net from 'node:net';

/**
 * Who may read /metrics (pure). With METRICS_TOKEN set, a matching `Authorization: Bearer` is enough;
 * otherwise (or without the header) the client address must be in METRICS_ALLOW: a comma list of
 * `loopback`, `private` (RFC 1918 / ULA), `any`, or exact addresses.
 */
export function metricsAllowed(a: { token: string | undefined; allow: string; authorization: string | undefined; ip: string }): boolean {
  if (a.token && a.authorization?.startsWith('Bearer ')) {
    const given = createHash('sha256').update(a.authorization.slice(7)).digest();
    const want = createHash('sha256').update(a.token).digest();
    if (timingSafeEqual(given, want)) return true;
  }
  const ip = a.ip.replace(/^::ffff:/, '');
  for (const raw of a.allow.split(',')) {
    const rule = raw.trim();
    if (!rule) continue;
    if (rule === 'any') return true;
    if (rule === 'loopback' && (ip === '::1' || ip.startsWith('127.'))) return true;
    if (rule === 'private' && isPrivate(ip)) return true;
    if (net.isIP(rule) && rule === ip) return true;
  }
  return false;
}

function isPrivate(ip: string): boolean {
  if (net.isIPv4(ip)) {
    const [a, b] = ip.split('.').map(Number) as [number, number];
    return a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
  }
  return ip === '::1' || /^f[cd][0-9a-f]{2}:/i.test(ip);
}
