import Router from 'koa-router';
import type { AppState } from '../web/context.ts';
import { hasApiCredential, requestMeta } from '../requests/callbacks-api.routes.ts';
import type { WebcallOffers } from './webcall-offer.service.ts';

export interface WebcallsApiDeps {
  offers: WebcallOffers;
  /** The server-to-server credential (API_TOKEN); unset = every request needs a form token. */
  apiToken?: string;
}

/**
 * POST /api/v1/webcalls: a visitor's "Call now". 201 with the ticket and where to call
 * (src/webcalls/webcall-offer.service.ts); refusals are the call-back API's, plus `webcalls_disabled` (404) and
 * `closed` (409). The answer is never cached: the ticket is a secret for this browser alone.
 */
export function webcallsApiRoutes(deps: WebcallsApiDeps): Router<AppState, {}> {
  const router = new Router<AppState, {}>({ prefix: '/api/v1/webcalls' });
  router.post('/', async (ctx) => {
    const body = (ctx.request as unknown as { body?: Record<string, unknown> }).body;
    const apiClient = hasApiCredential(ctx.get('authorization') || undefined, deps.apiToken);
    const source = !apiClient && body && body.source === 'widget' ? 'widget' : 'api';
    const offer = await deps.offers.offer(body, requestMeta(ctx, source, apiClient));
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 201;
    ctx.body = offer;
  });
  return router;
}
