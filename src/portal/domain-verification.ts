import http from 'node:http';
import https from 'node:https';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { isForbiddenAddress } from '../platform/net-address.ts';

/**
 * Proof that a subscriber controls a host: the token Beckon gave it, served at
 * https://<host>/.well-known/beckon-verification.txt (for `*.example.com`, on example.com). The file method
 * needs no DNS access on our side and any site owner can use it.
 *
 * The host is typed by a stranger, so fetching it is a request our server makes on their behalf (SSRF): the
 * address is checked where the socket connects (a DNS answer cannot change between check and use), private,
 * loopback and link-local addresses are refused, redirects are not followed, and the answer is read only up
 * to 4 KB within a few seconds.
 */
export const VERIFICATION_PATH = '/.well-known/beckon-verification.txt';

export type DomainCheck = { ok: true } | { ok: false; reason: string };
export type DomainChecker = (host: string, token: string) => Promise<DomainCheck>;

export { isForbiddenAddress };

/** The host whose site holds the token: a wildcard is proven on its base. */
export function verificationHost(pattern: string): string {
  return pattern.startsWith('*.') ? pattern.slice(2) : pattern;
}

export interface CheckerOptions {
  /** Where the file is fetched, `{host}` replaced; default https://{host}/.well-known/beckon-verification.txt. */
  urlTemplate?: string;
  /** Allow private and loopback addresses (tests, an intranet install). */
  allowPrivate?: boolean;
  timeoutMs?: number;
}

export function createDomainChecker(o: CheckerOptions = {}): DomainChecker {
  const template = o.urlTemplate ?? `https://{host}${VERIFICATION_PATH}`;
  const timeoutMs = o.timeoutMs ?? 5000;
  const lookup = (hostname: string, options: object, cb: (err: Error | null, address: string | LookupAddress[], family?: number) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return cb(err, []);
      const list = addresses as LookupAddress[];
      const bad = o.allowPrivate ? undefined : list.find((a) => isForbiddenAddress(a.address));
      if (bad) return cb(Object.assign(new Error(`${hostname} resolves to ${bad.address}, a private address`), { code: 'EFORBIDDEN' }), []);
      if ((options as { all?: boolean }).all) return cb(null, list);
      return cb(null, list[0]!.address, list[0]!.family);
    });
  };

  return (pattern, token) => new Promise<DomainCheck>((resolve) => {
    const url = new URL(template.replace('{host}', verificationHost(pattern)));
    if (isIP(url.hostname.replace(/^\[|\]$/g, '')) && !o.allowPrivate && isForbiddenAddress(url.hostname.replace(/^\[|\]$/g, ''))) {
      resolve({ ok: false, reason: `${url.hostname} is a private address.` });
      return;
    }
    const get = url.protocol === 'http:' ? http.get : https.get;
    const req = get(url, { lookup: lookup as never, timeout: timeoutMs, headers: { 'user-agent': 'Beckon domain verification' } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        resolve({ ok: false, reason: `${url.href} answered ${res.statusCode}${res.headers.location ? ' (redirects are not followed)' : ''}.` });
        return;
      }
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
        if (body.length > 4096) { res.destroy(); }
      });
      res.on('close', () => resolve(body.includes(token) ? { ok: true } : { ok: false, reason: `${url.href} does not contain the token.` }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    // Also a deadline for the whole exchange: a site trickling bytes would never trip the idle timeout.
    const deadline = setTimeout(() => req.destroy(new Error(`not done within ${(2 * timeoutMs) / 1000} s`)), 2 * timeoutMs);
    deadline.unref();
    req.on('close', () => clearTimeout(deadline));
    req.on('error', (err) => resolve({ ok: false, reason: `${url.href} could not be fetched: ${err.message}` }));
  });
}
