import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../platform/config.ts';
import { redisKeys } from '../platform/redis-keys.ts';
import { AppError, TooManyRequestsError } from '../platform/errors.ts';
import type { Logger } from '../platform/logger.ts';

/**
 * Redis-backed limits (rate-limiter-flexible), shared by every web process.
 *
 * When Redis is down the accept path must keep working (the PostgreSQL outbox exists for that), so no limit
 * may fail closed on the whole service. Each limit falls back as suits what it protects:
 * - per IP, per number, per subscriber/day: an in-process RateLimiterMemory with the same limits
 *   (insuranceLimiter). Each web process then enforces them on its own: N processes allow up to N times
 *   as much, which is still a limit, for as long as Redis is away.
 * - distinct numbers per visitor and single use of form tokens: fail open, logged. They are second
 *   lines of defence behind the IP and number limits, and keeping their state in memory per process
 *   would refuse legitimate visitors whose requests land on different processes.
 */
export interface RateLimits {
  /** Every request that passed validation counts, refused or not: probing costs the prober. */
  perIp(ip: string | null): Promise<void>;
  /** Across all subscribers: one number cannot be made a target by spreading requests over tenants. */
  perNumber(e164: string): Promise<void>;
  /** A visitor (browser) may ask for a few different numbers; the next new one is refused. */
  perVisitor(visitorKey: string, e164: string): Promise<void>;
  perSubscriberDay(subscriberId: string, limit: number): Promise<void>;
  /** Form tokens handed to one client IP (hosted form pages and the widget's form-token call). */
  formTokens(ip: string | null): Promise<void>;
  /** True the first time a form token nonce is used (within its lifetime), false after. */
  firstUseOfToken(nonce: string, ttlSec: number): Promise<boolean>;
}

/** `KEYS[1]` the visitor's set of numbers; `ARGV` number, max distinct numbers, window seconds. Returns 1 = allowed. */
const VISITOR_NUMBERS_LUA = `
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 1 end
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
return 1`;

type Spec = { points: number; seconds: number };

/** The script as an ioredis command: sent by its SHA (EVALSHA), not its text, on every request. */
interface VisitorCommand { beckonVisitorNumber(key: string, e164: string, max: number, windowSec: number): Promise<unknown> }

function limiter(redis: Redis, keyPrefix: string, spec: Spec, blockSec = 0): RateLimiterRedis {
  return new RateLimiterRedis({
    storeClient: redis, keyPrefix, points: spec.points, duration: spec.seconds, blockDuration: blockSec,
    rejectIfRedisNotReady: true,
    insuranceLimiter: new RateLimiterMemory({ keyPrefix, points: spec.points, duration: spec.seconds, blockDuration: blockSec }),
  });
}

const tooMany = TooManyRequestsError.after;

async function consume(l: RateLimiterRedis, key: string, refuse: (ms: number) => AppError): Promise<RateLimiterRes> {
  try {
    return await l.consume(key);
  } catch (res) {
    if (res instanceof RateLimiterRes) throw refuse(res.msBeforeNext);
    throw res; // both Redis and the insurance failed: a bug, not a limit
  }
}

export function hashKey(...parts: (string | null | undefined)[]): string {
  return createHash('sha256').update(parts.map((p) => p ?? '').join('\u0000')).digest('base64url').slice(0, 22);
}

export function createRateLimits(redis: Redis, config: Config, log: Logger): RateLimits {
  const key = redisKeys(config.REDIS_PREFIX);
  const ip = limiter(redis, key.rateLimit('ip'), config.LIMIT_PER_IP);
  const numberShort = limiter(redis, key.rateLimit('num-s'), config.LIMIT_PER_NUMBER_SHORT, config.NUMBER_BLOCK_SEC);
  const numberLong = limiter(redis, key.rateLimit('num-l'), config.LIMIT_PER_NUMBER_LONG, config.NUMBER_BLOCK_SEC);
  // Points are checked against each subscriber's own limit below, so the limiter itself never refuses.
  const subscriberDay = limiter(redis, key.rateLimit('sub-day'), { points: 1e9, seconds: 86_400 });
  const tokens = limiter(redis, key.rateLimit('form-tokens'), config.LIMIT_FORM_TOKENS_PER_IP);
  const visitor = config.LIMIT_NUMBERS_PER_VISITOR;
  if (!(redis as Partial<VisitorCommand>).beckonVisitorNumber) redis.defineCommand('beckonVisitorNumber', { numberOfKeys: 1, lua: VISITOR_NUMBERS_LUA });
  const enabled = config.RATE_LIMITS_ENABLED;

  return {
    async perIp(addr) {
      if (!enabled || !addr) return;
      await consume(ip, addr, (ms) => tooMany('ip_rate_limited', 'Too many call-back requests from your network. Please try again later.', ms));
    },
    async perNumber(e164) {
      if (!enabled) return;
      const refuse = (ms: number) => tooMany('number_rate_limited', 'This number has asked for too many call-backs. Please try again later.', ms);
      // Both at once (one pipelined round trip); a refusal by the short window is reported first.
      const [short, long] = await Promise.allSettled([consume(numberShort, e164, refuse), consume(numberLong, e164, refuse)]);
      if (short.status === 'rejected') throw short.reason;
      if (long.status === 'rejected') throw long.reason;
    },
    async perVisitor(visitorKey, e164) {
      if (!enabled) return;
      let allowed: unknown;
      try {
        if (redis.status !== 'ready') throw new Error(`redis ${redis.status}`);
        allowed = await (redis as Redis & VisitorCommand).beckonVisitorNumber(key.visitorNumbers(visitorKey), e164, visitor.points, visitor.seconds);
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'visitor number limit skipped: Redis unavailable');
        return;
      }
      if (allowed !== 1) throw tooMany('visitor_rate_limited', 'You have asked for call-backs to too many different numbers. Please try again later.', visitor.seconds * 1000);
    },
    async perSubscriberDay(subscriberId, limit) {
      if (!enabled) return;
      const res = await consume(subscriberDay, subscriberId, () => new AppError(500, 'internal_error', 'limit misconfigured'));
      if (res.consumedPoints > limit) {
        throw tooMany('subscriber_daily_limit', 'This business has received the most call-back requests it takes per day. Please try again tomorrow.', res.msBeforeNext);
      }
    },
    async formTokens(addr) {
      if (!enabled || !addr) return;
      await consume(tokens, addr, (ms) => tooMany('form_token_rate_limited', 'Too many forms opened from your network. Please try again later.', ms));
    },
    async firstUseOfToken(nonce, ttlSec) {
      try {
        if (redis.status !== 'ready') throw new Error(`redis ${redis.status}`);
        return (await redis.set(key.formTokenUsed(nonce), '1', 'EX', ttlSec, 'NX')) === 'OK';
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'form token reuse check skipped: Redis unavailable');
        return true;
      }
    },
  };
}
