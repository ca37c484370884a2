import Router from 'koa-router';
import type { Pool } from '../platform/db/pool.ts';
import type { CallbackQueue } from '../platform/queue/callback-queue.ts';
import { AriHttp, type AriEndpoint } from '../telephony/ari-http.ts';
import type { AppState } from './context.ts';

export interface HealthDeps { pool: Pool; queue: CallbackQueue; ari: AriEndpoint }

async function check(fn: () => Promise<unknown>): Promise<{ ok: boolean; error?: string }> {
  try { await fn(); return { ok: true }; } catch (err) { return { ok: false, error: (err as Error).message }; }
}

export function healthRoutes(deps: HealthDeps): Router<AppState, {}> {
  const router = new Router<AppState, {}>();
  const ari = new AriHttp(deps.ari);
  router.get('/healthz', (ctx) => { ctx.body = { ok: true }; });
  router.get('/readyz', async (ctx) => {
    const [postgres, redis, asterisk] = await Promise.all([
      check(() => deps.pool.query('SELECT 1')),
      check(async () => { if (!deps.queue.ready()) throw new Error('not connected'); await deps.queue.client.ping(); }),
      check(async () => {
        const r = await ari.get('/asterisk/info', 2000);
        if (r.status < 200 || r.status > 299) throw new Error(`ARI answered ${r.status}`);
      }),
    ]);
    const ok = postgres.ok && redis.ok && asterisk.ok;
    ctx.status = ok ? 200 : 503;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { ok, postgres, redis, ari: asterisk };
  });
  return router;
}
