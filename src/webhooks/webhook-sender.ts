import http from 'node:http';
import https from 'node:https';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { addressAllowed } from './endpoint-url.ts';

/**
 * One POST to a subscriber's endpoint. The URL is typed by a subscriber, so this is a request our server makes
 * on their behalf (SSRF), under the rules of domain verification: every address a name resolves to is judged
 * where the socket connects (no window between check and use), private, link-local and metadata addresses are
 * refused (loopback too, unless allowed for the demo and tests), redirects are not followed (a 3xx is a failed
 * try), and the whole exchange has a deadline. Only the status is kept; the answer's body is read and dropped.
 */
export interface SendResult { ok: boolean; status: number | null; durationMs: number; error: string | null }
export type Sender = (url: string, body: string, headers: Record<string, string>) => Promise<SendResult>;

type LookupFn = (hostname: string, options: { all: true }, cb: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

export interface SenderOptions {
  allowLoopback: boolean;
  timeoutMs: number;
  /** Name resolution (tests give names private answers); the system resolver by default. */
  lookup?: LookupFn;
}

export function createSender(o: SenderOptions): Sender {
  const resolve: LookupFn = o.lookup ?? ((h, opts, cb) => dnsLookup(h, opts, cb));
  const lookup = (hostname: string, options: { all?: boolean }, cb: (err: Error | null, address: string | LookupAddress[], family?: number) => void) => {
    resolve(hostname, { all: true }, (err, list) => {
      if (err) return cb(err, []);
      const bad = list.find((a) => !addressAllowed(a.address, o.allowLoopback));
      if (bad || list.length === 0) return cb(Object.assign(new Error(`${hostname} resolves to ${bad?.address ?? 'nothing'}, not a public address`), { code: 'EFORBIDDEN' }), []);
      if (options.all) return cb(null, list);
      return cb(null, list[0]!.address, list[0]!.family);
    });
  };

  return (url, body, headers) => new Promise<SendResult>((done) => {
    const started = Date.now();
    const finish = (r: Omit<SendResult, 'durationMs'>) => done({ ...r, durationMs: Date.now() - started });
    let u: URL;
    try { u = new URL(url); } catch { finish({ ok: false, status: null, error: 'not a URL' }); return; }
    const host = u.hostname.replace(/^\[|\]$/g, '');
    // A literal address never goes through lookup: judged here.
    if (isIP(host) && !addressAllowed(host, o.allowLoopback)) { finish({ ok: false, status: null, error: `${host} is not a public address` }); return; }
    const send = u.protocol === 'http:' ? http.request : https.request;
    const req = send(u, {
      method: 'POST', lookup: lookup as never, timeout: o.timeoutMs, agent: false,
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'Beckon-Webhooks/1', ...headers },
    }, (res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      res.on('end', () => {
        const ok = status >= 200 && status < 300;
        finish({ ok, status, error: ok ? null : status >= 300 && status < 400 ? `answered ${status}; redirects are not followed` : `answered ${status}` });
      });
      res.on('error', () => finish({ ok: false, status, error: 'answer cut off' }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${o.timeoutMs} ms`)));
    // A deadline for the whole exchange: an endpoint trickling bytes never trips the idle timeout.
    const deadline = setTimeout(() => req.destroy(new Error(`not done within ${o.timeoutMs} ms`)), o.timeoutMs);
    deadline.unref();
    req.on('close', () => clearTimeout(deadline));
    req.on('error', (err) => finish({ ok: false, status: null, error: err.message }));
    req.end(body);
  });
}
