import type { Redis } from 'ioredis';
import { redisKeys } from '../platform/redis-keys.ts';
import { asDuplicate, type AcceptContext, type AcceptGuard, type AcceptResult } from '../requests/accept.service.ts';
import type { Config } from '../platform/config.ts';
import type { Pool } from '../platform/db/pool.ts';
import { isLoopback } from '../platform/net-address.ts';
import { AppError, BadRequestError, ConflictError, ForbiddenError, UnavailableError } from '../platform/errors.ts';
import type { Logger } from '../platform/logger.ts';
import { checkDestination, operatorDestinations, policySettings } from './destination-policy.ts';
import { findOpenRequests, type OpenRequestKey } from '../requests/callback.repository.ts';
import { createBatcher } from '../platform/db/statement-batcher.ts';
import { createRateLimits, hashKey, type LimitOutcome, type RateLimits } from './rate-limits.ts';
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
  /** For the accept service (AcceptDeps.notStored): a request the INSERT turned away drops its lock and is logged. */
  notStored(ctx: AcceptContext, answer: AppError | AcceptResult): void;
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

/** Refusals of the limits that a waiting request for the same number answers instead (see checkLimits). */
const ANSWERED_IF_OPEN = new Set(['number_rate_limited', 'visitor_rate_limited', 'subscriber_daily_limit']);

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
 *   → destination (type, country; a refusal counts against the client's IP)
 *   → [scheduling; a refusal counts against the IP too]
 *   → limits: per IP, per number, numbers per visitor, per-subscriber day, form token single use, and the
 *     double-click lock, all in one Redis script call (rate-limits.ts)
 *   → then, made by the INSERT itself (accept.service.ts): do-not-call, open duplicate.
 * Round trips are what limit the accept path (npm run bench): a request costs one Redis call here, one
 * PostgreSQL statement shared with the requests of the same moment, and the queue's add. The price: every limit
 * counts a request that another limit refuses, or that turns out to be opted out or a duplicate (a visitor asking
 * again for a number with an open request counts against that number and uses up the form token, though the
 * answer is still "waiting", see checkLimits), and a refusal for do-not-call comes after the limits' refusals.
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
  // The open request while a double click's second submission waits for the first.
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

  /** A refusal before the limits still counts against the client's IP, and the IP's own limit is reported first. */
  const countingIp = (guard: AcceptGuard): AcceptGuard => async (ctx) => {
    try {
      return await guard(ctx);
    } catch (err) {
      if (err instanceof AppError) await limits.check({ ip: ctx.meta.ip });
      throw err;
    }
  };

  const destination: AcceptGuard = async (ctx) => {
    const refusal = checkDestination(ctx.phone, policySettings(ctx.entry.subscriber.settings, ctx.entry.subscriber.country, operator));
    if (refusal) throw new ForbiddenError(refusal.code, refusal.message, [{ field: 'phone', ...refusal }]);
  };

  /**
   * One open request per (subscriber, number): the INSERT stores a request only when its number has none
   * (accept.service.ts). Two submissions in the same instant (a double click) are serialised by a short Redis
   * lock, taken in the limits' script call: the second waits for the first to be stored and answers with it. The
   * lock is dropped when the first is refused or not stored, and otherwise simply expires. Without Redis there is
   * no lock: the INSERT's check is all there is.
   */
  const checkLimits: AcceptGuard = async (ctx) => {
    const visitor = visitorKey(ctx);
    const claims = claimsOf.get(ctx);
    const own = policySettings(ctx.entry.subscriber.settings, ctx.entry.subscriber.country, operator).dailyLimit;
    // The request already waiting for this number, as this requester's answer; null when there is none.
    const waiting = async (): Promise<AcceptResult | null> => {
      const open = await openRequest({ subscriberId: ctx.entry.subscriber.id, phoneE164: ctx.phone.e164 });
      return open ? asDuplicate(ctx.meta, open) : null;
    };
    let outcome: LimitOutcome;
    try {
      outcome = await limits.check({
        ip: ctx.meta.ip,
        number: ctx.phone.e164,
        visitor: visitor ? { key: visitor, destination: ctx.phone.e164 } : undefined,
        subscriberDay: { id: ctx.entry.subscriber.id, limit: own ?? config.LIMIT_PER_SUBSCRIBER_DAY },
        token: claims ? { nonce: claims.nonce, ttlSec: config.FORM_TOKEN_TTL_SEC } : undefined,
        lock: { key: redisKey.openRequestLock(ctx.entry.subscriber.id, ctx.phone.e164), ttlMs: 1500 },
      });
    } catch (err) {
      // A visitor asking again for a number that is waiting (a reload, a second tab) is told it is waiting, not
      // that the number or the visitor is over a limit: the open request counts against them all the same.
      if (err instanceof AppError && ANSWERED_IF_OPEN.has(err.code)) {
        const open = await waiting();
        if (open) return open;
      }
      throw err;
    }
    const { firstUse, lock } = outcome;
    if (lock) locksOf.set(ctx, lock);
    if (lock === false) {
      // The other submission of a double click carries the same form token: it is answered with the first's
      // request, not refused for reusing the token.
      for (let i = 0; i < 15; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const first = await waiting();
        if (first) return first;
      }
    }
    if (!firstUse) {
      // Not stored: what the lock holder counted against the number and the day is given back.
      if (lock) giveBack(ctx, lock);
      // A form sent again for a number that is waiting is told so, as a fresh form would be.
      const open = await waiting();
      if (open) return open;
      throw new ConflictError('form_token_used', 'This form was already sent. Please reload the page to send another request.');
    }
  };

  const named: [string, AcceptGuard][] = [
    ['bot-check', botCheck], ['destination', countingIp(destination)],
    ...(deps.beforeLimits ?? []).map((g): [string, AcceptGuard] => [g.name, countingIp(g.guard)]),
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
      if (lock) giveBack(ctx, lock);
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

  /**
   * A request that took the lock (and so counted against its number and its subscriber's day) and is not stored:
   * the lock is dropped and the counts given back, so requests that ring nobody (a duplicate, an opted-out number,
   * a form sent twice) cannot use up a number's or a business's limits or get a number blocked.
   */
  function giveBack(ctx: AcceptContext, lock: string): void {
    locksOf.delete(ctx);
    redis.del(lock).catch(() => {});
    void limits.refund({ number: ctx.phone.e164, subscriberDay: { id: ctx.entry.subscriber.id, limit: 0 } });
  }

  function notStored(ctx: AcceptContext, answer: AppError | AcceptResult): void {
    const lock = locksOf.get(ctx);
    if (lock) giveBack(ctx, lock);
    if (answer instanceof AppError) {
      log.warn({ guard: 'do-not-call', code: answer.code, status: answer.status, ip: ctx.meta.ip, subscriber: ctx.entry.subscriber.slug, source: ctx.meta.source }, 'call-back request refused');
    } else if (answer.duplicate) {
      log.info({ guard: 'open-request', requestId: answer.openId, subscriber: ctx.entry.subscriber.slug }, 'call-back request answered with the open one');
    }
  }

  return {
    guards,
    notStored,
    async formToken(slug, ip) {
      await limits.formTokens(ip);
      return issueFormToken(key, slug, clock(), undefined, ip ?? '');
    },
    formTokenTtlSec: config.FORM_TOKEN_TTL_SEC,
    webcallChecks,
  };
}
