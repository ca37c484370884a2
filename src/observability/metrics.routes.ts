import Router from 'koa-router';
import type { CallbackQueue } from '../platform/queue/callback-queue.ts';
import { AppError } from '../platform/errors.ts';
import type { AppState } from '../web/context.ts';
import { activeCalls, queueJobs, registry } from '../platform/metrics.ts';
import { metricsAllowed } from './metrics-access.ts';

export interface MetricsDeps {
  /** Call attempts in flight across all workers (the wiring reads them from the calls room's attempts). */
  liveCalls: () => Promise<number>;
  queue: CallbackQueue; token: string | undefined; allow: string;
}

/** GET /metrics: Prometheus text; installation-wide gauges are refreshed from PostgreSQL and Redis per scrape. */
export function metricsRoutes(deps: MetricsDeps): Router<AppState, {}> {
  const router = new Router<AppState, {}>();
  router.get('/metrics', async (ctx) => {
    if (!metricsAllowed({ token: deps.token, allow: deps.allow, authorization: ctx.get('authorization') || undefined, ip: ctx.ip })) {
      throw new AppError(deps.token ? 401 : 403, 'metrics_forbidden', 'Metrics are not available to this client.');
    }
    await Promise.all([
      deps.liveCalls().then((n) => activeCalls.set(n)).catch(() => {}),
      (deps.queue.ready() ? deps.queue.queue.getJobCounts() : Promise.reject(new Error('redis down')))
        .then((counts) => { for (const [state, n] of Object.entries(counts)) queueJobs.set({ state }, Number(n)); }).catch(() => {}),
    ]);
    ctx.set('Cache-Control', 'no-store');
    ctx.type = registry.contentType;
    ctx.body = await registry.metrics();
  });
  return router;
}
