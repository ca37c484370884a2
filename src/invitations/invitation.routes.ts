import Router from 'koa-router';
import type { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { z } from 'zod';
import type { Pool } from '../platform/db/pool.ts';
import { NotFoundError, TooManyRequestsError, ValidationError, type FieldError } from '../platform/errors.ts';
import { redisKeys } from '../platform/redis-keys.ts';
import { csrfToken, verifyCsrf } from '../auth/csrf.ts';
import { redirectWithFlash, takeFlash } from '../auth/session.ts';
import { currentSubscriber, requireSubscriber } from '../auth/subscriber-session.ts';
import { mergeSettings } from '../subscribers/subscriber.repository.ts';
import type { SubscriberCache } from '../subscribers/subscriber-cache.ts';
import type { AppContext, AppState } from '../web/context.ts';
import { portalNav } from '../web/portal-nav.ts';
import type { Render } from '../web/views.ts';
import { DELAY_RANGE, SCROLL_RANGE, TEXT_MAX, invitationFromSettings, parseInvitationForm } from './invitation-settings.ts';
import { INVITATION_EVENTS, countInvitationEvent, invitationTotals } from './invitation.repository.ts';
import { MAX_PATTERNS, MAX_WILDCARDS } from './url-pattern.ts';
import { requesterNetwork } from '../platform/requester-network.ts';

export interface InvitationRoutesDeps {
  pool: Pool;
  redis: Redis;
  prefix: string;
  subscribers: SubscriberCache;
  render: Render;
  /** Called after the settings change: the directory and the subscriber cache drop what they hold. */
  changed: (slug: string) => void;
  /** Beacons one client IP may send per minute (0 = no limit). */
  beaconsPerMinute?: number;
}

type Body = Record<string, unknown>;
const bodyOf = (ctx: AppContext): Body => ((ctx.request as unknown as { body?: Body }).body ?? {}) as Body;

const Beacon = z.object({ subscriber: z.string().trim().min(1).max(64), event: z.enum(INVITATION_EVENTS) });

/** The days the portal page sums its counts over (today included). */
const RECENT_DAYS = 30;

/**
 * POST /api/v1/invitations/events: the widget's beacon (shown, opened, converted), counted per subscriber and
 * local day. Public like the rest of /api/v1 (no session, no cookie); a browser may count only for the
 * subscriber whose site it is on (publicApiCors checks the Origin); each client IP is rate limited.
 * /portal/invitations: the owner's triggers and text, and the last days' counts.
 */
export function invitationRoutes(deps: InvitationRoutesDeps): Router<AppState, {}>[] {
  const perMinute = deps.beaconsPerMinute ?? 120;
  const keyPrefix = redisKeys(deps.prefix).invitationBeacons();
  const limiter = perMinute > 0 ? new RateLimiterRedis({
    storeClient: deps.redis, keyPrefix, points: perMinute, duration: 60, rejectIfRedisNotReady: true,
    insuranceLimiter: new RateLimiterMemory({ keyPrefix, points: perMinute, duration: 60 }),
  }) : null;

  const api = new Router<AppState, {}>();
  api.post('/api/v1/invitations/events', async (ctx) => {
    const b = Beacon.safeParse(bodyOf(ctx));
    if (!b.success) throw ValidationError.fromIssues(b.error.issues, 'body');
    if (limiter && ctx.ip) {
      try { await limiter.consume(requesterNetwork(ctx.ip)); } catch (res) {
        if (res instanceof RateLimiterRes) throw TooManyRequestsError.after('beacon_rate_limited', 'Too many invitation events from your network.', res.msBeforeNext);
        throw res;
      }
    }
    const entry = await deps.subscribers.get(b.data.subscriber);
    if (!entry || entry.subscriber.status !== 'active') throw new NotFoundError('not_found', 'No such subscriber.');
    // Only an invitation the owner has on is counted: stray or stale beacons add nothing.
    if (invitationFromSettings(entry.subscriber.settings).enabled) {
      await countInvitationEvent(deps.pool, entry.subscriber.id, entry.subscriber.timezone, b.data.event);
    }
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 204;
  });

  const portal = new Router<AppState, {}>({ prefix: '/portal/invitations' });
  portal.use(requireSubscriber(deps.pool));
  portal.use(verifyCsrf());

  async function page(ctx: AppContext, values: Body, errors: FieldError[] = []): Promise<void> {
    const s = await currentSubscriber(ctx, deps.pool);
    const today = DateTime.now().setZone(s.timezone);
    const counts = await invitationTotals(deps.pool, s.id, today.minus({ days: RECENT_DAYS - 1 }).toISODate()!, today.toISODate()!);
    const csrf = csrfToken(ctx);
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = deps.render('portal/invitations', {
      title: 'Invitations', portalNav: portalNav('/portal/invitations', csrf), csrf, flash: takeFlash(ctx), values, errors,
      fieldErrors: Object.fromEntries(errors.map((e) => [e.field, e.message])),
      counts, days: RECENT_DAYS, limits: { textMax: TEXT_MAX, delay: DELAY_RANGE, scroll: SCROLL_RANGE, patterns: MAX_PATTERNS, wildcards: MAX_WILDCARDS },
    });
  }

  portal.get('/', async (ctx) => {
    const s = await currentSubscriber(ctx, deps.pool);
    const inv = invitationFromSettings(s.settings);
    await page(ctx, {
      enabled: inv.enabled, text: inv.text, delaySec: inv.delaySec ?? '', exitIntent: inv.exitIntent,
      scrollPercent: inv.scrollPercent ?? '', urlPatterns: inv.urlPatterns.join('\n'),
    });
  });

  portal.post('/', async (ctx) => {
    const s = await currentSubscriber(ctx, deps.pool);
    const body = bodyOf(ctx);
    const parsed = parseInvitationForm(body);
    if (!parsed.ok) {
      await page(ctx, { ...body, enabled: body.enabled !== undefined, exitIntent: body.exitIntent !== undefined }, parsed.errors);
      ctx.status = 400;
      return;
    }
    await mergeSettings(deps.pool, s.id, { invitation: parsed.value });
    deps.changed(s.slug);
    redirectWithFlash(ctx, '/portal/invitations', parsed.value.enabled ? 'Invitation saved: it is on.' : 'Invitation saved: it is off.');
  });

  return [api, portal];
}
