import Router from 'koa-router';
import { cancelRequest } from './cancel.service.ts';
import { authorizeStatus } from './status.service.ts';
import type { Pool } from '../platform/db/pool.ts';
import type { EventBus } from '../platform/event-bus.ts';
import type { CallbackQueue } from '../platform/queue/callback-queue.ts';
import type { AppState } from '../web/context.ts';

export interface CancelRoutesDeps { pool: Pool; bus: EventBus; queue: CallbackQueue }

/** `POST /api/v1/callbacks/:id/cancel?token=` — the visitor cancels a pending request with its status token. */
export function cancelRoutes(deps: CancelRoutesDeps): Router<AppState, {}> {
  const router = new Router<AppState, {}>();
  router.post('/api/v1/callbacks/:id/cancel', async (ctx) => {
    const body = ((ctx.request as unknown as { body?: Record<string, unknown> }).body ?? {}) as Record<string, unknown>;
    const token = ctx.query.token ?? body.token;
    await authorizeStatus(deps.pool, ctx.params.id!, token);
    const result = await cancelRequest(deps.pool, deps.bus, ctx.params.id!, 'visitor', undefined, { queue: deps.queue });
    ctx.set('Cache-Control', 'no-store');
    ctx.body = result;
  });
  return router;
}
