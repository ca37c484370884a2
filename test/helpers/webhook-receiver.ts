import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One POST a receiver got: its headers (lower-case names), raw body and parsed JSON. */
export interface Received { path: string; headers: http.IncomingHttpHeaders; body: string; json: any; at: number }

/**
 * A real HTTP endpoint on 127.0.0.1 and a free port, for webhook tests: it keeps every request it gets and
 * answers each with what `answer` says (200 by default; a status, or a status and a Location to redirect).
 */
export async function startWebhookReceiver(answer: (r: Received, n: number) => number | { status: number; location?: string } = () => 200) {
  const received: Received[] = [];
  let respond = answer;
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => { body += c; });
    req.on('end', () => {
      let json: any = null;
      try { json = JSON.parse(body); } catch { /* not JSON */ }
      const r: Received = { path: req.url ?? '/', headers: req.headers, body, json, at: Date.now() };
      received.push(r);
      const a = respond(r, received.length);
      const { status, location } = typeof a === 'number' ? { status: a, location: undefined } : a;
      res.writeHead(status, location ? { location } : {});
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (path = '/hook') => `http://127.0.0.1:${port}${path}`,
    received,
    /** Changes how later requests are answered. */
    answerWith(fn: typeof answer) { respond = fn; },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
