import type { Redis } from 'ioredis';
import { redisKeys } from '../platform/redis-keys.ts';
import type { AcceptContext, AcceptGuard, AcceptResult } from '../requests/accept.service.ts';
import type { Config } from '../platform/config.ts';
import type { Pool } from '../platform/db/pool.ts';
import { isLoopback } from '../platform/net-address.ts';
import { AppError, BadRequestError, ConflictError, ForbiddenError, UnavailableError } from '../platform/errors.ts';
import type { Logger } from '../platform/logger.ts';
import { checkDestination, operatorDestinations, policySettings } from './destination-policy.ts';
import { findOpenRequests, type OpenRequest, type OpenRequestKey } from '../requests/callback.repository.ts';
import { screenNumbers } from './do-not-call.repository.ts';
import { createBatcher } from '../platform/db/statement-batcher.ts';
import { createRateLimits, hashKey, type RateLimits } from './rate-limits.ts';
import { deriveKey, issueFormToken, verifyFormToken, type FormTokenClaims } from './signed-token.ts';

export interface AcceptPolicyDeps {
  pool: Pool;
  redis: Redis;
  config: Config;
  log: Logger;
  limits?: RateLimits;
  /** Extra guards (scheduling) placed after the cheap refusals and before anything is counted per number. */
  beforeLimits?: { name: string; guard: AcceptGuard }[];
  clock?: () => number;
}

export interface AcceptPolicy {
  guards: AcceptGuard[];
  /**
   * A fresh signed form token for a subscriber's hosted form or widget, bound to the client IP it is given
   * to; counts against that IP's LIMIT_FORM_TOKENS_PER_IP (429 beyond).
   */
  formToken(slug: string, ip: string | null): Promise<string>;
  formTokenTtlSec: number;
  /**
   * The checks of a web call (POST /api/v1/webcalls), the call-back's own where they apply to a call with no
   * visitor number: bot check (honeypot, form token or API credential), per-IP limit, per-visitor limit (a web
   * call counts as one of the visitor's LIMIT_NUMBERS_PER_VISITOR destinations, so "Call now" is no way around
   * it), the subscriber's daily limit, single use of the form token. Refuses with the same AppErrors.
   */
  webcallChecks(ctx: WebcallCheckContext): Promise<void>;
}

/** What the web-call checks read: the visitor's input (formToken, website, visitorId), the client, the subscriber. */
export type WebcallCheckContext = Pick<AcceptContext, 'input' | 'meta' | 'entry'>;

/** The destination a web call counts as in the per-visitor limit (a real number is E.164, never this). */
const WEBCALL_DESTINATION = 'webcall';

/** PostgreSQL unreachable or gone mid-query (as opposed to a bug, which stays a 500). */
function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P03'].includes(e?.code ?? '') || (e?.code ?? '').startsWith('08')
    || /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(e?.message ?? '');
}

/** The secret shared by every web process; derived from SESSION_SECRET unless FORM_TOKEN_SECRET is set. */
export function policySecret(config: Config): string {
  return config.FORM_TOKEN_SECRET ?? `${config.SESSION_SECRET}:policy`;
}

/**
 * A visitor is a browser: its own id when it sends one (`visitorId`: the widget keeps one in localStorage, the
 * hosted form in a cookie), else IP + user agent. Only a server holding the API credential (API_TOKEN) and
 * sending no id is limited per IP alone; null = no per-visitor limit. What the client says its `source` is
 * decides nothing.
 */
export function visitorKey(ctx: Pick<AcceptContext, 'input' | 'meta'>): string | null {
  const id = (ctx.input as Record<string, unknown>).visitorId;
  if (typeof id === 'string' && /^[A-Za-z0-9_-]{16,64}$/.test(id)) return `v:${hashKey(id)}`;
  if (ctx.meta.apiClient) return null;
  return `a:${hashKey(ctx.meta.ip, ctx.meta.userAgent)}`;
}

/**
 * The accept guards of abuse protection, in the order they run (cheapest and most certain first, so that
 * bots and forbidden destinations never count against a real visitor's limits):
 *   bot-check (honeypot + form token)
 *   → screening: per-IP limit, destination (type, country), do-not-call, open duplicate
 *   → [scheduling]
 *   → limits: per-number, numbers per visitor, per-subscriber day, form token single use.
 * Within screening and within limits the Redis and PostgreSQL round trips run at once (each group's Redis work is
 * one script call, rate-limits.ts; the PostgreSQL lookups are batched across concurrent requests) and the refusal
 * reported is the first in the order above. One after the other they would cost a round trip each, and round
 * trips and commands are what limit the accept path (npm run bench). The price: every limit in `limits` counts a
 * request that another limit of the same group refuses (a request refused for its number still uses up its form
 * token).
 * Every refusal is an AppError with a code, logged with the guard's name; nothing is written or dialed.
 */
export function createAcceptPolicy(deps: AcceptPolicyDeps): AcceptPolicy {
  const { pool, redis, config, log } = deps;
  const clock = deps.clock ?? Date.now;
  const operator = operatorDestinations(config);
  const limits = deps.limits ?? createRateLimits(redis, config, log);
  const redisKey = redisKeys(config.REDIS_PREFIX);
  const key = deriveKey(policySecret(config), 'form-token');
  const claimsOf = new WeakMap<WebcallCheckContext, FormTokenClaims>();
  const locksOf = new WeakMap<AcceptContext, string>();
  // Do-not-call and the open request in one statement (screenNumbers); the open request alone while a double
  // click's second submission waits for the first.
  const screenNumber = createBatcher((keys: OpenRequestKey[]) => screenNumbers(pool, keys));
  const openRequest = createBatcher((keys: OpenRequestKey[]) => findOpenRequests(pool, keys).then((found) => keys.map((k) => found.get(`${k.subscriberId}|${k.phoneE164}`) ?? null)));

  const botCheck = async (ctx: WebcallCheckContext): Promise<void> => {
    const honeypot = ctx.input.website;
    if (typeof honeypot === 'string' && honeypot.trim() !== '') {
      throw new BadRequestError('spam_suspected', 'This request looks automated and was not accepted.');
    }
    // Every way in needs a form token, whatever `source` the client claims; only the server-to-server
    // credential (checked at the edge, meta.apiClient) stands in for it, or, where the operator allows it, being
    // on this machine.
    if (ctx.meta.apiClient) return;
    if (config.FORM_TOKEN_LOOPBACK_EXEMPT && isLoopback(ctx.meta.ip)) return;
    const token = ctx.input.formToken;
    const check = verifyFormToken(key, token, ctx.entry.subscriber.slug, clock(), {
      ttlSec: config.FORM_TOKEN_TTL_SEC, minAgeMs: config.FORM_TOKEN_MIN_AGE_MS, bind: ctx.meta.ip ?? '',
    });
    if (!check.ok) {
      const message = check.code === 'form_token_expired'
        ? 'This form has expired. Please reload the page and try again.'
        : 'This form could not be verified. Please reload the page and try again.';
      throw new BadRequestError(check.code, message);
    }
    claimsOf.set(ctx, check.claims);
  };

  async function findOpen(ctx: AcceptContext): Promise<AcceptResult | null> {
    return asDuplicate(ctx, await openRequest({ subscriberId: ctx.entry.subscriber.id, phoneE164: ctx.phone.e164 }));
  }

  function asDuplicate(ctx: AcceptContext, open: OpenRequest | null): AcceptResult | null {
    if (!open) return null;
    // A stranger typing the same number must learn nothing of someone else's request: not its id (a handle
    // for the status and event URLs), not its status. The same requester (address and user agent) gets the id
    // and status back, never the token: the one who asked first already holds it.
    const same = open.ip !== null && open.ip === ctx.meta.ip && (open.userAgent ?? '') === (ctx.meta.userAgent ?? '');
    return { id: same ? open.id : null, status: same ? open.status : null, statusToken: null, statusUrl: null, duplicate: true, openId: open.id };
  }

  /**
   * One open request per (subscriber, number). Two submissions in the same instant (a double click) are
   * serialised by a short Redis lock, taken in the same script call as the per-IP limit: the second waits for
   * the first to be stored and answers with it. The lock is dropped when a later guard refuses the first, and
   * otherwise simply expires. Without Redis there is no lock: the PostgreSQL check is all there is.
   */
  const screening: AcceptGuard = async (ctx) => {
    const refusal = checkDestination(ctx.phone, policySettings(ctx.entry.subscriber.settings, ctx.entry.subscriber.country, operator));
    if (refusal) {
      await limits.check({ ip: ctx.meta.ip });
      throw new ForbiddenError(refusal.code, refusal.message, [{ field: 'phone', ...refusal }]);
    }
    const lock = { key: redisKey.openRequestLock(ctx.entry.subscriber.id, ctx.phone.e164), ttlMs: 1500 };
    const [counted, screened] = await Promise.allSettled([
      limits.check({ ip: ctx.meta.ip, lock }),
      screenNumber({ subscriberId: ctx.entry.subscriber.id, phoneE164: ctx.phone.e164 }),
    ]);
    if (counted.status === 'rejected') throw counted.reason;
    const held = counted.value.lock;
    if (held) locksOf.set(ctx, held);
    if (screened.status === 'rejected') throw screened.reason;
    if (screened.value.optedOut) throw new ForbiddenError('number_opted_out', 'The owner of this number asked not to be called by this service.');
    const open = asDuplicate(ctx, screened.value.open);
    if (open) {
      if (held) { locksOf.delete(ctx); redis.del(held).catch(() => {}); }
      return open;
    }
    if (held !== false) return;
    for (let i = 0; i < 15; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const first = await findOpen(ctx);
      if (first) return first;
    }
  };

  const checkLimits: AcceptGuard = async (ctx) => {
    const visitor = visitorKey(ctx);
    const claims = claimsOf.get(ctx);
    const own = policySettings(ctx.entry.subscriber.settings, ctx.entry.subscriber.country, operator).dailyLimit;
    const { firstUse } = await limits.check({
      number: ctx.phone.e164,
      visitor: visitor ? { key: visitor, destination: ctx.phone.e164 } : undefined,
      subscriberDay: { id: ctx.entry.subscriber.id, limit: own ?? config.LIMIT_PER_SUBSCRIBER_DAY },
      token: claims ? { nonce: claims.nonce, ttlSec: config.FORM_TOKEN_TTL_SEC } : undefined,
    });
    if (!firstUse) throw new ConflictError('form_token_used', 'This form was already sent. Please reload the page to send another request.');
  };

  const named: [string, AcceptGuard][] = [
    ['bot-check', botCheck], ['screening', screening],
    ...(deps.beforeLimits ?? []).map((g): [string, AcceptGuard] => [g.name, g.guard]),
    ['limits', checkLimits],
  ];

  const webcallLimits = async (ctx: WebcallCheckContext): Promise<void> => {
    const visitor = visitorKey(ctx);
    const claims = claimsOf.get(ctx);
    const own = policySettings(ctx.entry.subscriber.settings, ctx.entry.subscriber.country, operator).dailyLimit;
    const { firstUse } = await limits.check({
      ip: ctx.meta.ip,
      visitor: visitor ? { key: visitor, destination: WEBCALL_DESTINATION } : undefined,
      subscriberDay: { id: ctx.entry.subscriber.id, limit: own ?? config.LIMIT_PER_SUBSCRIBER_DAY },
      token: claims ? { nonce: claims.nonce, ttlSec: config.FORM_TOKEN_TTL_SEC } : undefined,
    });
    if (!firstUse) throw new ConflictError('form_token_used', 'This form was already sent. Please reload the page to start another call.');
  };

  async function webcallChecks(ctx: WebcallCheckContext): Promise<void> {
    for (const [name, check] of [['bot-check', botCheck], ['limits', webcallLimits]] as const) {
      try {
        await check(ctx);
      } catch (err) {
        if (err instanceof AppError) {
          log.warn({ guard: name, code: err.code, status: err.status, ip: ctx.meta.ip, subscriber: ctx.entry.subscriber.slug }, 'web call refused');
          throw err;
        }
        if (isConnectionError(err)) throw new UnavailableError();
        throw err;
      }
    }
  }

  const guards = named.map(([name, guard]): AcceptGuard => async (ctx) => {
    try {
      const answer = await guard(ctx);
      if (answer) log.info({ guard: name, requestId: answer.duplicate ? answer.openId : answer.id, subscriber: ctx.entry.subscriber.slug }, 'call-back request answered with the open one');
      return answer;
    } catch (err) {
      const lock = locksOf.get(ctx);
      if (lock) redis.del(lock).catch(() => {});
      if (err instanceof AppError) {
        log.warn({ guard: name, code: err.code, status: err.status, ip: ctx.meta.ip, subscriber: ctx.entry.subscriber.slug, source: ctx.meta.source }, 'call-back request refused');
        throw err;
      }
      if (isConnectionError(err)) {
        log.error({ guard: name, err: (err as Error).message }, 'policy check failed: PostgreSQL unavailable');
        throw new UnavailableError();
      }
      throw err;
    }
  });

  return {
    guards,
    async formToken(slug, ip) {
      await limits.formTokens(ip);
      return issueFormToken(key, slug, clock(), undefined, ip ?? '');
    },
    formTokenTtlSec: config.FORM_TOKEN_TTL_SEC,
    webcallChecks,
  };
}
