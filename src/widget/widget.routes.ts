import Router from 'koa-router';
import { z } from 'zod';
import { NotFoundError, SubscriberNotFoundError, SubscriberSuspendedError, ValidationError } from '../platform/errors.ts';
import { hoursFromSettings, isOpen, openSlots } from '../schedule/business-hours.ts';
import type { SubscriberCache } from '../subscribers/subscriber-cache.ts';
import type { AppState } from '../web/context.ts';
import { bundleFile, loaderSource, type WidgetBundle } from './widget-bundle.ts';

export interface WidgetRoutesDeps { subscribers: SubscriberCache; bundle: Promise<WidgetBundle> }

/** Minutes between offered call-back times, and how far ahead the first one is (time to queue and dial). */
export const SLOT_STEP_MIN = 30;
export const SLOT_LEAD_MS = 15 * 60_000;

const SlotsQuery = z.object({
  subscriber: z.string().trim().min(1).max(64),
  days: z.coerce.number().int().min(1).max(14).default(7),
});

export function widgetRoutes(deps: WidgetRoutesDeps): Router<AppState, {}> {
  const router = new Router<AppState, {}>();
  const crossOrigin = (ctx: { set(k: string, v: string): void }) => {
    // Subscribers' pages load these from another origin.
    ctx.set('Cross-Origin-Resource-Policy', 'cross-origin');
    ctx.set('Access-Control-Allow-Origin', '*');
  };

  router.get('/widget.js', async (ctx) => {
    const b = await deps.bundle;
    crossOrigin(ctx);
    ctx.type = 'application/javascript; charset=utf-8';
    // Short: a new release reaches returning visitors within minutes; the bundle itself is cached for a year.
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = loaderSource(b.file);
  });

  // The bundle and its call chunk, each named by its content hash. The chunk is an ES module the widget
  // import()s from the subscriber's page: cross-origin, so readable by CORS like everything else here.
  router.get('/widget/:file', async (ctx) => {
    const f = bundleFile(await deps.bundle, ctx.params.file!);
    if (!f) throw new NotFoundError('not_found', 'No such widget version.');
    crossOrigin(ctx);
    ctx.type = 'application/javascript; charset=utf-8';
    ctx.set('Cache-Control', 'public, max-age=31536000, immutable');
    ctx.body = f.code;
  });

  router.get('/api/v1/slots', async (ctx) => {
    const q = SlotsQuery.safeParse(ctx.query);
    if (!q.success) throw ValidationError.fromIssues(q.error.issues, 'query');
    const entry = await deps.subscribers.get(q.data.subscriber);
    if (!entry) throw SubscriberNotFoundError.named(q.data.subscriber);
    if (entry.subscriber.status !== 'active') throw new SubscriberSuspendedError();
    const hours = hoursFromSettings(entry.subscriber.settings, entry.subscriber.timezone);
    const now = new Date();
    const slots = openSlots(hours, new Date(now.getTime() + SLOT_LEAD_MS), q.data.days, SLOT_STEP_MIN);
    ctx.set('Cache-Control', 'public, max-age=60');
    ctx.body = {
      subscriber: entry.subscriber.slug, timezone: hours.timezone, stepMinutes: SLOT_STEP_MIN,
      open: isOpen(hours, now), slots: slots.map((d) => d.toISOString()),
    };
  });

  return router;
}
