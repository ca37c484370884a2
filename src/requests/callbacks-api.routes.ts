import { sameSecret } from '../auth/safe-equal.ts';
import type { Context } from 'koa';
import Router from 'koa-router';
import type { AcceptService, RequestMeta } from './accept.service.ts';
import { getStatus } from './status.service.ts';
import { FINAL_STATUSES, type RequestStatus } from './callback.types.ts';
import { TooManyRequestsError } from '../platform/errors.ts';
import type { EventBus } from '../platform/event-bus.ts';
import type { Pool } from '../platform/db/pool.ts';
import type { AppContext, AppState } from '../web/context.ts';
import { openEventStream } from '../web/event-stream.ts';
import { createStreamLimits, type StreamLimits } from '../web/stream-limits.ts';
import type { WaitEstimates } from '../reports/wait-estimate.ts';

export interface CallbacksApiDeps {
  pool: Pool; accept: AcceptService; bus: EventBus; waits?: WaitEstimates;
  /** The server-to-server credential (API_TOKEN); unset = every request needs a form token. */
  apiToken?: string;
  /** Caps on open status streams (per request, per IP); defaults 3 and 20. */
  streams?: StreamLimits;
}

export function requestMeta(ctx: AppContext, source: RequestMeta['source'], apiClient = false): RequestMeta {
  return { ip: ctx.ip || null, userAgent: ctx.get('user-agent') || null, referrer: ctx.get('referer') || null, source, apiClient };
}

/** `Authorization: Bearer <API_TOKEN>`, compared in constant time. */
export function hasApiCredential(authorization: string | undefined, apiToken: string | undefined): boolean {
  if (!apiToken || !authorization) return false;
  const m = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  return m !== null && sameSecret(m[1]!, apiToken);
}

/** The router, and its `POST /` handler for a caller that routes to it itself (see web-app.ts). */
export type CallbacksApiRouter = Router<AppState, {}> & { acceptRequest: (ctx: AppContext) => Promise<void> };

export function callbacksApiRoutes(deps: CallbacksApiDeps): CallbacksApiRouter {
  const router = new Router<AppState, {}>({ prefix: '/api/v1/callbacks' });
  const streams = deps.streams ?? createStreamLimits({ perKey: 3, perIp: 20 });

  const acceptRequest = async (ctx: AppContext): Promise<void> => {
    const body = (ctx.request as unknown as { body?: Record<string, unknown> }).body;
    const apiClient = hasApiCredential(ctx.get('authorization') || undefined, deps.apiToken);
    const source = !apiClient && body && body.source === 'widget' ? 'widget' : 'api';
    const result = await deps.accept.accept(body, requestMeta(ctx, source, apiClient));
    if (result.duplicate) {
      // Same shape as a fresh accept, never the open request's token; its id and status only to the same requester (see AcceptResult).
      ctx.status = 200;
      ctx.body = { id: result.id, status: result.status, statusUrl: null, statusToken: null, duplicate: true, message: 'A call-back request for this number is already waiting.' };
      return;
    }
    ctx.status = 202;
    ctx.body = { id: result.id, status: result.status, statusUrl: result.statusUrl, statusToken: result.statusToken };
  };
  router.post('/', acceptRequest);

  router.get('/:id', async (ctx) => {
    const { view } = await getStatus(deps.pool, ctx.params.id!, ctx.query.token, deps.waits);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = view;
  });

  router.get('/:id/events', async (ctx) => {
    const id = ctx.params.id!;
    const token = ctx.query.token;
    const { view } = await getStatus(deps.pool, id, token, deps.waits);
    const release = streams.acquire(id, ctx.ip || 'unknown');
    if (!release) throw TooManyRequestsError.after('too_many_streams', 'Too many open status streams. Close another page showing this call-back and try again.', 30_000);
    const events = openEventStream(ctx as unknown as Context);
    events.onClose(release);
    events.send('status', view);
    if (FINAL_STATUSES.has(view.status as RequestStatus)) { events.close(); return; }
    const unsubscribe = await deps.bus.subscribe(id, async (e) => {
      // Events only say that something changed; the view sent is always read back from PostgreSQL.
      const fresh = await getStatus(deps.pool, id, token, deps.waits).catch(() => null);
      if (!fresh) return;
      events.send(e.type === 'request.status' ? 'status' : 'attempt', { ...fresh.view, phase: e.phase ?? null });
      if (FINAL_STATUSES.has(fresh.view.status as RequestStatus)) events.close();
    });
    events.onClose(unsubscribe);
  });

  return Object.assign(router, { acceptRequest });
}
