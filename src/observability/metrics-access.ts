import net from 'node:net';
import { sameSecret } from '../auth/safe-equal.ts';
import { isLoopback, isPrivateOrLoopback, unmapIPv4 } from '../platform/net-address.ts';

/**
 * Who may read /metrics (pure). With METRICS_TOKEN set, a matching `Authorization: Bearer` is enough;
 * otherwise (or without the header) the client address must be in METRICS_ALLOW: a comma list of
 * `loopback`, `private` (RFC 1918 / ULA), `any`, or exact addresses.
 */
export function metricsAllowed(a: { token: string | undefined; allow: string; authorization: string | undefined; ip: string }): boolean {
  if (a.token && a.authorization?.startsWith('Bearer ')) {
    if (sameSecret(a.authorization.slice(7), a.token)) return true;
  }
  const ip = unmapIPv4(a.ip);
  for (const raw of a.allow.split(',')) {
    const rule = raw.trim();
    if (!rule) continue;
    if (rule === 'any') return true;
    if (rule === 'loopback' && isLoopback(ip)) return true;
    if (rule === 'private' && isPrivateOrLoopback(ip)) return true;
    if (net.isIP(rule) && rule === ip) return true;
  }
  return false;
}
