import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { nowMs } from './load.ts';
import { signatureValid, type Arrival } from './webhook-check.ts';

export interface SignedReceiver {
  /** http://127.0.0.1:<port>/hook/<name> */
  url(name: string): string;
  /** The secret the endpoint `name` is verified with. */
  setSecret(name: string, secret: string): void;
  readonly arrivals: Arrival[];
  clear(): void;
  close(): Promise<void>;
}

/**
 * A subscriber's webhook endpoint as a receiver writes one: every POST's raw body is checked against its
 * endpoint's secret (lib/webhook-check.ts) and answered 200 at once; what arrived, when, and whether the
 * signature held is kept for the self-check. A bad signature is counted, not refused, so a signing bug shows up
 * as a problem rather than as retries.
 */
export async function startSignedReceiver(): Promise<SignedReceiver> {
  const secrets = new Map<string, string>();
  const arrivals: Arrival[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = nowMs();
      const body = Buffer.concat(chunks).toString('utf8');
      const endpoint = decodeURIComponent((req.url ?? '').replace(/^\/hook\//, ''));
      const secret = secrets.get(endpoint);
      const valid = !!secret && signatureValid(req.headers['beckon-signature'] as string | undefined, body, secret, Math.floor(Date.now() / 1000));
      let eventId = '';
      let eventAtMs = NaN;
      try {
        const p = JSON.parse(body) as { id?: string; createdAt?: string };
        eventId = p.id ?? '';
        eventAtMs = Date.parse(p.createdAt ?? '');
      } catch { /* not a payload: counted as stray */ }
      arrivals.push({ endpoint, eventId, eventAtMs, valid, at });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (name) => `http://127.0.0.1:${port}/hook/${encodeURIComponent(name)}`,
    setSecret: (name, secret) => { secrets.set(name, secret); },
    arrivals,
    clear: () => { arrivals.length = 0; },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
