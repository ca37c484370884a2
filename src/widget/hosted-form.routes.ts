import { randomBytes } from 'node:crypto';
import Router from 'koa-router';
import { AppError, CallbackNotFoundError, SubscriberNotFoundError, ValidationError } from '../platform/errors.ts';
import type { AcceptService } from '../requests/accept.service.ts';
import { getStatus } from '../requests/status.service.ts';
import { statusPageModel } from '../requests/status-page.ts';
import type { Pool } from '../platform/db/pool.ts';
import type { SubscriberCache, SubscriberEntry } from '../subscribers/subscriber-cache.ts';
import { offerable } from '../subscribers/offerable.ts';
import { messagesFromSettings } from '../subscribers/settings.ts';
import { hoursFromSettings, isOpen, openSlots } from '../schedule/business-hours.ts';
import { SLOT_LEAD_MS, SLOT_STEP_MIN } from './widget.routes.ts';
import { DateTime } from 'luxon';
import type { Render } from '../web/views.ts';
import type { AppContext, AppState } from '../web/context.ts';
import { requestMeta } from '../requests/callbacks-api.routes.ts';
import { refuseCrossSite } from '../web/middleware/same-origin.ts';
import { webcallPageCsp } from './webcall-csp.ts';
import type { WidgetBundle } from './widget-bundle.ts';

export interface HostedFormDeps {
  pool: Pool;
  accept: AcceptService;
  subscribers: SubscriberCache;
  render: Render;
  /** Extra hidden fields for the form (signed form token, bound to the client IP); set by the abuse-protection module. */
  formToken?: (slug: string, ip: string | null) => Promise<string>;
  /** This server's public origin, besides the request's own, for the same-site check of form posts. */
  publicUrl?: () => string;
  /** "Call now" from the browser: offered when web calls are on; the call chunk comes from the widget's bundle. */
  webcalls?: { enabled: boolean; wsUrl: string; bundle: Promise<WidgetBundle> };
}

const VISITOR_COOKIE = 'bk_vid';
const VISITOR_ID = /^[A-Za-z0-9_-]{16,64}$/;

const EXAMPLES: Record<string, string> = { US: '(202) 555-0145', CA: '(416) 555-0145', GB: '020 7946 0958', FR: '01 23 45 67 89', DE: '030 123456' };

/** UTC offsets on Earth run from -14 h to +12 h; ±14 h (840 minutes) bounds them with room to spare. */
const MAX_TZ_OFFSET_MIN = 840;

/**
 * Turns the browser's local date-time plus its UTC offset (minutes, as Date#getTimezoneOffset) into ISO.
 * No time given → null; an offset that is not a whole number of minutes within ±14 h is refused (400).
 */
export function localToIso(local: unknown, tzOffset: unknown): string | null {
  if (typeof local !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(local)) return null;
  const offset = tzOffset === undefined || tzOffset === '' ? 0 : Number(tzOffset);
  if (!Number.isInteger(offset) || Math.abs(offset) > MAX_TZ_OFFSET_MIN) {
    throw new ValidationError([{ field: 'scheduledAtLocal', code: 'tz_offset_invalid', message: 'Your browser sent an impossible time zone; reload the page and try again.' }]);
  }
  const asUtc = Date.parse(`${local}:00Z`);
  if (Number.isNaN(asUtc)) return null;
  return new Date(asUtc + offset * 60_000).toISOString();
}

/**
 * What the form offers: only departments that can take a call; while closed, the opening times to choose from
 * (as the widget offers them: GET /api/v1/slots), labelled in the subscriber's zone and relabelled in the
 * visitor's by public/callback-form.js; the owner's announcement.
 */
function availability(entry: SubscriberEntry, values: Record<string, unknown>, now = new Date()) {
  const s = entry.subscriber;
  const { departments, ready } = offerable(s, entry.departments, entry.agents);
  const hours = hoursFromSettings(s.settings, s.timezone);
  const open = isOpen(hours, now);
  const label = (d: Date) => DateTime.fromJSDate(d).setZone(hours.timezone).toFormat("ccc d LLL, h:mm a '(" + hours.timezone + ")'");
  const slots = open ? [] : openSlots(hours, new Date(now.getTime() + SLOT_LEAD_MS), 7, SLOT_STEP_MIN)
    .map((d) => ({ iso: d.toISOString(), label: label(d), selected: values.scheduledAt === d.toISOString() }));
  return {
    ready, open, slots,
    departments: departments.map((d) => ({ id: d.id, name: d.name, selected: values.department === d.id })),
    announcement: messagesFromSettings(s.settings).announcement.trim(),
  };
}

export function hostedFormRoutes(deps: HostedFormDeps): Router<AppState, {}> {
  const router = new Router<AppState, {}>();

  async function page(ctx: AppContext, values: Record<string, unknown>, errors: { field: string; message: string }[]) {
    const entry = await deps.subscribers.get(ctx.params.slug!);
    if (!entry) throw new SubscriberNotFoundError('There is no call-back page at this address.');
    const fieldErrors = Object.fromEntries(errors.map((e) => [e.field, e.message]));
    const offer = availability(entry, values);
    // Shown by public/webcall-form.js only where the browser has WebRTC and a microphone.
    const web = deps.webcalls?.enabled && offer.open && offer.ready ? deps.webcalls : null;
    const webcall = web ? { chunk: `/widget/${(await web.bundle).call.file}` } : null;
    if (web) ctx.set('Content-Security-Policy', webcallPageCsp(web.wsUrl));
    ctx.type = 'html';
    ctx.body = deps.render('callback-form', {
      title: `Call-back from ${entry.subscriber.name}`,
      subscriber: entry.subscriber,
      ...offer, webcall,
      example: EXAMPLES[entry.subscriber.country] ?? '+1 202 555 0145',
      values, errors, fieldErrors,
      formToken: deps.formToken ? await deps.formToken(entry.subscriber.slug, ctx.ip || null) : '',
    });
  }

  router.get('/c/:slug', async (ctx) => {
    const pageUrl = typeof ctx.query.pageUrl === 'string' ? ctx.query.pageUrl : ctx.get('referer');
    // The browser's own id, so abuse protection can tell one browser asking for many numbers (src/policy).
    if (!VISITOR_ID.test(ctx.cookies.get(VISITOR_COOKIE) ?? '')) {
      ctx.cookies.set(VISITOR_COOKIE, randomBytes(16).toString('base64url'), { httpOnly: true, sameSite: 'lax', maxAge: 365 * 86400_000, overwrite: true });
    }
    await page(ctx, { pageUrl }, []);
  });

  router.post('/c/:slug', async (ctx) => {
    // Only the form's own page may send it: another site must not make its visitors' browsers file call-backs
    // from their addresses (the widget posts to the JSON API, which checks registered domains instead).
    refuseCrossSite(ctx, deps.publicUrl?.(), 'This form can only be sent from its own page. Please open the call-back page and try again.');
    const form = ((ctx.request as unknown as { body?: Record<string, unknown> }).body ?? {}) as Record<string, unknown>;
    const consent = form.consent === 'yes' || form.consent === 'on' ? true : undefined;
    try {
      const body = {
        ...form,
        subscriber: ctx.params.slug,
        // A time typed in the visitor's zone, or one of the opening times offered while closed (ISO).
        scheduledAt: localToIso(form.scheduledAtLocal, form.tzOffset) ?? (typeof form.scheduledAt === 'string' && form.scheduledAt ? form.scheduledAt : undefined),
        consent,
        department: form.department || undefined,
        visitorId: VISITOR_ID.test(ctx.cookies.get(VISITOR_COOKIE) ?? '') ? ctx.cookies.get(VISITOR_COOKIE) : undefined,
      };
      const result = await deps.accept.accept(body, requestMeta(ctx, 'form'));
      if (result.duplicate) {
        // The visitor's own earlier request (its token was given only once): say so instead of a status page they cannot open.
        await page(ctx, { ...form, consent }, [{ field: 'form', message: 'You already have a call-back request waiting for this number. We will call you as promised.' }]);
        return;
      }
      ctx.redirect(`/c/${encodeURIComponent(ctx.params.slug!)}/status/${result.id}?token=${encodeURIComponent(result.statusToken ?? '')}`);
      ctx.status = 303;
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500 || err.code === 'subscriber_not_found') throw err;
      // Answered here rather than by the error handler, so log the refusal the same way it would.
      ctx.state.log?.info({ status: err.status, code: err.code }, 'request refused');
      ctx.status = err.status === 429 ? 429 : 400;
      const errors = err.fields ?? [{ field: 'form', message: err.message }];
      await page(ctx, { ...form, consent }, errors);
      ctx.status = err.status === 429 ? 429 : 400;
    }
  });

  router.get('/c/:slug/status/:id', async (ctx) => {
    const token = ctx.query.token;
    const { request, view } = await getStatus(deps.pool, ctx.params.id!, token);
    const entry = await deps.subscribers.get(ctx.params.slug!);
    if (!entry || entry.subscriber.id !== request.subscriberId) throw new CallbackNotFoundError('id and token');
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'html';
    ctx.body = deps.render('callback-status', {
      title: 'Your call-back', subscriber: entry.subscriber, request: view, token, ...statusPageModel(view),
    });
  });

  return router;
}
