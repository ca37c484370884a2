import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Subscribers' web sites, as far as domain verification sees them: one local HTTP server that answers
 * /<host>/.well-known/beckon-verification.txt with what the test put there for <host>. `env` points Beckon's
 * checker at it (and allows its loopback address, which production refuses).
 */
export interface SiteServer {
  env: Record<string, string>;
  serve(host: string, body: string): void;
  requests: string[];
  close(): Promise<void>;
}

export async function startSiteServer(): Promise<SiteServer> {
  const files = new Map<string, string>();
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    const m = /^\/([^/]+)\/\.well-known\/beckon-verification\.txt$/.exec(req.url ?? '');
    const body = m ? files.get(decodeURIComponent(m[1]!)) : undefined;
    if (body === undefined) { res.writeHead(404).end('not found'); return; }
    res.writeHead(200, { 'content-type': 'text/plain' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    env: { DOMAIN_VERIFY_URL: `http://127.0.0.1:${port}/{host}/.well-known/beckon-verification.txt`, DOMAIN_VERIFY_ALLOW_PRIVATE: 'true' },
    serve: (host, body) => { files.set(host, body); },
    requests,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
