import type { Server } from 'node:http';
import type { Container } from './container.ts';
import { startOutboxRelay } from '../requests/outbox-relay.ts';
import { checkEvictionPolicy } from '../platform/redis-eviction-policy.ts';
import { createApp, type AppExtensions } from './web-app.ts';

export interface WebHandle { server: Server; port: number; stop(): Promise<void> }

/** The web process: Koa app plus the outbox relay (so accepted requests reach the queue even with no worker up). */
export async function startWeb(c: Container, ext: AppExtensions = {}, port = c.config.PORT): Promise<WebHandle> {
  const app = createApp(c, ext);
  const relay = startOutboxRelay({ pool: c.pool, queue: c.queue, log: c.log, intervalMs: c.config.OUTBOX_INTERVAL_MS });
  void checkEvictionPolicy(c.redis, c.log);
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(port, c.config.HOST, () => resolve(s));
    s.on('error', reject);
  });
  server.keepAliveTimeout = 65_000;
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  c.log.info({ port: actualPort }, 'web listening');
  return {
    server, port: actualPort,
    async stop() {
      relay.stop();
      server.closeIdleConnections?.();
      // Open event streams (status pages, agent consoles) never end by themselves: cut them after a short grace.
      const cut = setTimeout(() => server.closeAllConnections?.(), 2000);
      await new Promise<void>((r) => server.close(() => r()));
      clearTimeout(cut);
    },
  };
}
