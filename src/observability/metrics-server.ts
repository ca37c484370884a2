import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { registry } from '../platform/metrics.ts';
import { metricsAllowed } from './metrics-access.ts';

/**
 * A worker running as its own process has no web server; this serves its registry (dial outcomes, ARI/AMI
 * reconnects, queue wait, records) on WORKER_METRICS_PORT with the same access rules as the web's /metrics.
 */
export async function startMetricsServer(o: { port: number; host: string; token: string | undefined; allow: string }): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') { res.writeHead(404).end(); return; }
    if (!metricsAllowed({ token: o.token, allow: o.allow, authorization: req.headers.authorization, ip: req.socket.remoteAddress ?? '' })) {
      res.writeHead(o.token ? 401 : 403, { 'content-type': 'text/plain' }).end('forbidden\n');
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' }).end(body),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(o.port, o.host, () => resolve()); });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
