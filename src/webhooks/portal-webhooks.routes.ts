import Router from 'koa-router';
import { z } from 'zod';
import type { Pool } from '../platform/db/pool.ts';
import { csrfToken, verifyCsrf } from '../auth/csrf.ts';
import { getSession, redirectWithFlash, takeFlash } from '../auth/session.ts';
import { BadRequestError, ConflictError, NotFoundError, onField } from '../platform/errors.ts';
import type { AppContext, AppState } from '../web/context.ts';
import type { Render } from '../web/views.ts';
import { portalNav } from '../web/portal-nav.ts';
import { currentSubscriber, requireSubscriber } from '../auth/subscriber-session.ts';
import { WEBHOOK_EVENTS, isWebhookEvent } from './event-types.ts';
import { checkEndpointUrl } from './endpoint-url.ts';
import { newWebhookSecret } from './signature.ts';
import {
  countEndpoints, deleteEndpoint, findEndpoint, insertEndpoint, listDeliveries, listEndpoints, resendDelivery, rotateSecret,
  setEndpointEnabled, setEndpointEvents, type WebhookEndpoint,
} from './webhook.repository.ts';

type Body = Record<string, string | string[] | undefined>;
const bodyOf = (ctx: AppContext): Body => ((ctx.request as unknown as { body?: Body }).body ?? {}) as Body;
const uuid = z.string().uuid();

/** How long a rotated-out secret still signs, beside the new one. */
export const ROTATION_OVERLAP_SEC = 24 * 3600;
export const MAX_ENDPOINTS = 10;

/** The event types ticked on a form: known ones only, at least one. */
function chosenEvents(body: Body): string[] {
  const raw = body.events;
  const list = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter(isWebhookEvent);
  if (list.length === 0) throw new BadRequestError(...onField('events', 'no_events', 'Choose at least one event.'));
  return WEBHOOK_EVENTS.filter((e) => list.includes(e));
}

/** The secret a POST just made, for the endpoint's page to show once (the session holds it until that page is read). */
const REVEAL = 'webhookSecret';
interface Reveal { endpointId: string; secret: string }

/**
 * /portal/webhooks: a subscriber's endpoints. Adding one or rotating its secret redirects to the endpoint's page,
 * which shows the new secret once: reloading that page neither shows it again nor rotates again. Every lookup is
 * within the session's subscriber: another subscriber's endpoint or delivery is a 404, like an unknown one. CSRF
 * on every form.
 */
export function portalWebhooksRoutes(deps: { pool: Pool; render: Render; allowHttpLoopback: boolean; kick(endpointId: string): Promise<void> }): Router<AppState, {}> {
  const { pool } = deps;
  const router = new Router<AppState, {}>({ prefix: '/portal/webhooks' });
  router.use(requireSubscriber(pool));
  router.use(verifyCsrf());

  function page(ctx: AppContext, view: string, data: Record<string, unknown>): void {
    const flash = takeFlash(ctx);
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = deps.render(`portal/${view}`, { csrf: csrfToken(ctx), flash, portalNav: portalNav('/portal/webhooks', csrfToken(ctx)), ...data });
  }
  async function endpointOf(ctx: AppContext, subscriberId: string): Promise<WebhookEndpoint> {
    const id = ctx.params.id ?? '';
    const e = uuid.safeParse(id).success ? await findEndpoint(pool, subscriberId, id) : null;
    if (!e) throw new NotFoundError('endpoint_not_found', 'No endpoint of yours with that id.');
    return e;
  }
  const eventChoices = (chosen: readonly string[]) => WEBHOOK_EVENTS.map((name) => ({ name, checked: chosen.includes(name) }));
  function reveal(ctx: AppContext, endpointId: string, secret: string, flash: string): void {
    getSession(ctx)![REVEAL] = { endpointId, secret } satisfies Reveal;
    redirectWithFlash(ctx, `/portal/webhooks/${endpointId}`, flash);
  }
  /** The secret left for this endpoint's page, taken: shown on this answer only. */
  function takeSecret(ctx: AppContext, endpointId: string): string | null {
    const session = getSession(ctx);
    const r = session?.[REVEAL] as Reveal | undefined;
    if (!r) return null;
    session![REVEAL] = undefined;
    return r.endpointId === endpointId ? r.secret : null;
  }
  async function endpointPage(ctx: AppContext, e: WebhookEndpoint, secret: string | null): Promise<void> {
    const deliveries = (await listDeliveries(pool, e.id)).map((d) => ({
      ...d, createdAt: d.createdAt.toISOString(), nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt.toISOString() : null,
    }));
    page(ctx, 'webhooks-endpoint', {
      title: 'Webhook endpoint', endpoint: { ...e, previousSecretUntil: e.previousSecretUntil?.toISOString() ?? null },
      events: eventChoices(e.events), deliveries, secret,
    });
  }

  router.get('/', async (ctx) => {
    const s = await currentSubscriber(ctx, pool);
    const endpoints = await listEndpoints(pool, s.id);
    page(ctx, 'webhooks', { title: 'Webhooks', endpoints: endpoints.map((e) => ({ ...e, eventList: e.events.join(', ') })), events: eventChoices([]), httpLoopback: deps.allowHttpLoopback });
  });

  router.post('/', async (ctx) => {
    const s = await currentSubscriber(ctx, pool);
    const body = bodyOf(ctx);
    const url = checkEndpointUrl(String(body.url ?? ''), deps.allowHttpLoopback);
    if (!url.ok) throw new BadRequestError(...onField('url', 'bad_url', url.reason));
    const events = chosenEvents(body);
    if (await countEndpoints(pool, s.id) >= MAX_ENDPOINTS) throw new ConflictError('too_many_endpoints', `At most ${MAX_ENDPOINTS} endpoints.`);
    const secret = newWebhookSecret();
    const e = await insertEndpoint(pool, { subscriberId: s.id, url: url.url, events, secret });
    reveal(ctx, e.id, secret, 'Endpoint added.');
  });

  router.get('/:id', async (ctx) => {
    const s = await currentSubscriber(ctx, pool);
    const e = await endpointOf(ctx, s.id);
    await endpointPage(ctx, e, takeSecret(ctx, e.id));
  });

  router.post('/:id/events', async (ctx) => {
    const s = await currentSubscriber(ctx, pool);
    const e = await endpointOf(ctx, s.id);
    await setEndpointEvents(pool, s.id, e.id, chosenEvents(bodyOf(ctx)));
    redirectWithFlash(ctx, `/portal/webhooks/${e.id}`, 'Events saved.');
  });

  router.post('/:id/rotate', async (ctx) => {
    const s = await currentSubscriber(ctx, pool);
    const e = await endpointOf(ctx, s.id);
    const secret = newWebhookSecret();
    await rotateSecret(pool, s.id, e.id, secret, ROTATION_OVERLAP_SEC);
    reveal(ctx, e.id, secret, 'New secret made; the previous one still signs for 24 hours.');
  });

  router.post('/:id/active', async (ctx) => {
    const s = await currentSubscriber(ctx, pool);
    const e = await endpointOf(ctx, s.id);
    const on = bodyOf(ctx).active === 'on';
    await setEndpointEnabled(pool, s.id, e.id, on, on ? null : 'Disabled by you.');
    if (on) await deps.kick(e.id).catch(() => {});
    redirectWithFlash(ctx, `/portal/webhooks/${e.id}`, on ? 'Endpoint enabled: deliveries resume.' : 'Endpoint disabled: nothing is sent to it.');
  });

  router.post('/:id/delete', async (ctx) => {
    const s = await currentSubscriber(ctx, pool);
    const e = await endpointOf(ctx, s.id);
    await deleteEndpoint(pool, s.id, e.id);
    redirectWithFlash(ctx, '/portal/webhooks', `Endpoint ${e.url} deleted.`);
  });

  router.post('/:id/deliveries/:deliveryId/resend', async (ctx) => {
    const s = await currentSubscriber(ctx, pool);
    const e = await endpointOf(ctx, s.id);
    const deliveryId = ctx.params.deliveryId ?? '';
    const id = uuid.safeParse(deliveryId).success ? await resendDelivery(pool, s.id, e.id, deliveryId) : null;
    if (!id) throw new NotFoundError('delivery_not_found', 'No delivery of this endpoint with that id.');
    await deps.kick(e.id).catch(() => {});
    redirectWithFlash(ctx, `/portal/webhooks/${e.id}`, 'Sent again: the event is queued behind this endpoint\'s other deliveries.');
  });

  return router;
}
