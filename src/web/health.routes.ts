import Router from 'koa-router';
import type { Pool } from '../platform/db/pool.ts';
import type { CallbackQueue } from '../platform/queue/callback-queue.ts';
import type { AppState } from './context.ts';

export interface HealthDeps { pool: Pool; queue: CallbackQueue; ariUrl: string; ariUser: string; ariPassword: string }

async function check(fn: () => Promise<unknown>): Promise<{ ok: boolean; error?: string }> {
  try { await fn(); return { ok: true }; } catch (err) { return { ok: false, error: (err as Error).message }; }
}

export function healthRoutes(deps: HealthDeps): Router<AppState, {}> {
  const router = new Router<AppState, {}>();
  router.get('/healthz', (ctx) => { ctx.body = { ok: true }; });
  router.get('/readyz', async (ctx) => {
    const auth = 'Basic ' + Buffer.from(`${deps.ariUser}:${deps.ariPassword}`).toString('base64');
    const [postgres, redis, ari] = await Promise.all([
      check(() => deps.pool.query('SELECT 1')),
      check(async () => { if (!deps.queue.ready()) throw new Error('not connected'); await deps.queue.client.ping(); }),
      check(async () => {
        const r = await fetch(`${deps.ariUrl}/ari/asterisk/info`, { headers: { authorization: auth }, signal: AbortSignal.timeout(2000) });
        if (!r.ok) throw new Error(`ARI answered ${r.status}`);
      }),
    ]);
    const ok = postgres.ok && redis.ok && ari.ok;
    ctx.status = ok ? 200 : 503;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { ok, postgres, redis, ari };
  });
  return router;
}
