import Router from 'koa-router';
import { cancelRequest } from '../requests/cancel.service.ts';
import { findRequest } from '../requests/callback.repository.ts';
import { authorizeStatus } from '../requests/status.service.ts';
import type { Pool } from '../platform/db/pool.ts';
import { BadRequestError, NotFoundError, SubscriberNotFoundError } from '../platform/errors.ts';
import type { EventBus } from '../platform/event-bus.ts';
import { addSubscriberOptOut, addToDoNotCall } from './do-not-call.repository.ts';
import { deriveKey, signOptOut, verifyOptOut } from './signed-token.ts';
import type { SubscriberCache } from '../subscribers/subscriber-cache.ts';
import type { AppState } from '../web/context.ts';
import type { Render } from '../web/views.ts';

export interface PolicyRoutesDeps {
  pool: Pool;
  bus: EventBus;
  subscribers: SubscriberCache;
  render: Render;
  secret: string;
  formToken(slug: string, ip: string | null): Promise<string>;
  formTokenTtlSec: number;
}

/** The signed "never call me again" link for a number (for greetings, e-mails, SMS). */
export function optOutUrl(publicUrl: string, secret: string, e164: string): string {
  return `${publicUrl}/opt-out/${signOptOut(deriveKey(secret, 'opt-out'), e164)}`;
}

function mask(e164: string): string {
  return e164.slice(0, 3) + '•'.repeat(Math.max(0, e164.length - 6)) + e164.slice(-3);
}

/**
 * - `GET /api/v1/form-token?subscriber=slug` → `{token, expiresAt}`: the widget fetches one before it sends a
 *   request (as `formToken`, with the empty honeypot field `website`). CORS is the public API's (registered
 *   domains only); a token only proves that a Beckon page for that subscriber was loaded recently.
 * - `POST /api/v1/callbacks/:id/opt-out?token=` → the visitor (status token) stops this subscriber's calls
 *   to the number (subscriber_opt_outs) once the request has rung it; a pending request is canceled. Not the
 *   global list: anyone can request a call-back for any number and so hold a status token for it.
 * - `GET|POST /opt-out/:signed` → the same from a signed link, with a confirmation page (a GET never changes
 *   anything: mail scanners follow links).
 */
export function policyRoutes(deps: PolicyRoutesDeps): Router<AppState, {}> {
  const router = new Router<AppState, {}>();
  const optOutKey = deriveKey(deps.secret, 'opt-out');

  router.get('/api/v1/form-token', async (ctx) => {
    const slug = typeof ctx.query.subscriber === 'string' ? ctx.query.subscriber.trim().toLowerCase() : '';
    if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(slug)) throw new BadRequestError('subscriber_required', 'subscriber is required.');
    const entry = await deps.subscribers.get(slug);
    if (!entry) throw SubscriberNotFoundError.named(slug);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { token: await deps.formToken(slug, ctx.ip || null), expiresAt: new Date(Date.now() + deps.formTokenTtlSec * 1000).toISOString() };
  });

  router.post('/api/v1/callbacks/:id/opt-out', async (ctx) => {
    const body = ((ctx.request as unknown as { body?: Record<string, unknown> }).body ?? {}) as Record<string, unknown>;
    await authorizeStatus(deps.pool, ctx.params.id!, ctx.query.token ?? body.token);
    const request = (await findRequest(deps.pool, ctx.params.id!))!;
    // The status token proves only that its holder asked for this call-back, not that the phone is theirs:
    // it stops this subscriber's calls to the number, never every subscriber's (that takes the phone itself:
    // the opt-out key during a call, or a signed link). And only once this request has rung the number: before
    // any call, nobody was disturbed, and the holder may be a stranger who typed someone else's number to keep
    // this business from ever calling it back; the request is canceled either way.
    const rang = request.attemptCount > 0;
    if (rang) await addSubscriberOptOut(deps.pool, { subscriberId: request.subscriberId, phoneE164: request.phoneE164, requestId: request.id });
    await cancelRequest(deps.pool, deps.bus, request.id, 'visitor').catch(() => { /* already dialing or finished */ });
    ctx.state.log.info({ requestId: request.id, optedOut: rang }, rang ? 'visitor opted out of this subscriber\'s calls by status link' : 'visitor stopped a call-back not yet dialed by status link');
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { optedOut: rang };
  });

  const page = (ctx: Parameters<Parameters<typeof router.get>[1]>[0], e164: string, done: boolean) => {
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = deps.render('policy/opt-out', { title: done ? 'You will not be called again' : 'Stop call-backs', masked: mask(e164), done, action: ctx.path });
  };

  /** The number a signed opt-out link names, or 404 for a link this server did not sign. */
  const signedNumber = (signed: string | undefined): string => {
    const e164 = verifyOptOut(optOutKey, signed);
    if (!e164) throw new NotFoundError('opt_out_link_invalid', 'This link is not valid.');
    return e164;
  };

  router.get('/opt-out/:signed', async (ctx) => {
    const e164 = signedNumber(ctx.params.signed);
    page(ctx, e164, false);
  });

  router.post('/opt-out/:signed', async (ctx) => {
    const e164 = signedNumber(ctx.params.signed);
    await addToDoNotCall(deps.pool, { phoneE164: e164, source: 'link' });
    ctx.state.log.info('number opted out by signed link');
    page(ctx, e164, true);
  });

  return router;
}
