import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';
import { redisKeys, type LoginConsole } from '../platform/redis-keys.ts';
import { TooManyRequestsError } from '../platform/errors.ts';
import { requesterNetwork } from '../platform/requester-network.ts';

const WINDOW_SEC = 15 * 60;

function limiter(redis: Redis, keyPrefix: string, points: number): RateLimiterRedis {
  return new RateLimiterRedis({
    storeClient: redis, keyPrefix, points, duration: WINDOW_SEC, useRedisPackage: false,
    insuranceLimiter: new RateLimiterMemory({ points, duration: WINDOW_SEC }),
  });
}

function tooMany(msBeforeNext: number, what: string): TooManyRequestsError {
  const retry = Math.max(1, Math.ceil(msBeforeNext / 1000));
  return new TooManyRequestsError('too_many_attempts', `Too many ${what}. Try again in ${Math.ceil(retry / 60)} minutes.`, { retryAfter: retry });
}

/**
 * Login attempts (portal, operator and agent logins). Only FAILED logins count, per account and client IP
 * together (10 per 15 minutes) and per client IP across accounts (50, against password spraying): a stranger
 * failing on purpose locks out only themselves, never the account's owner elsewhere, and colleagues behind one
 * office NAT who log in correctly never use up each other's attempts. An IPv6 client counts as its /64
 * (requester-network.ts). Redis-backed so every web process
 * counts together; if Redis is down, an in-memory limiter per process takes over (never fail open).
 */
export function createLoginLimiter(redis: Redis, prefix: string, on: LoginConsole, o: { perAccountIp?: number; perIp?: number } = {}) {
  const keys = redisKeys(prefix);
  const byAccountIp = limiter(redis, keys.loginFailures(on, 'acct-ip'), o.perAccountIp ?? 10);
  const byIp = limiter(redis, keys.loginFailures(on, 'ip'), o.perIp ?? 50);
  const key = (ip: string, account: string) => `${account.toLowerCase()}|${requesterNetwork(ip)}`;
  return {
    /** Before checking the password: 429 when this client has failed too often (nothing is counted here). */
    async check(ip: string, account: string): Promise<void> {
      const [pair, addr] = await Promise.all([byAccountIp.get(key(ip, account)), byIp.get(requesterNetwork(ip))]);
      if (pair && pair.consumedPoints >= byAccountIp.points) throw tooMany(pair.msBeforeNext, 'failed logins');
      if (addr && addr.consumedPoints >= byIp.points) throw tooMany(addr.msBeforeNext, 'failed logins from your network');
    },
    /** A wrong account or password. */
    async failed(ip: string, account: string): Promise<void> {
      await Promise.all([byAccountIp.consume(key(ip, account)), byIp.consume(requesterNetwork(ip))].map((p) => p.catch((e: unknown) => {
        if (!(e instanceof RateLimiterRes)) throw e; // over the limit already: check() refuses the next one
      })));
    },
    /** A successful login clears this client's failures on the account. */
    async succeeded(ip: string, account: string): Promise<void> { await byAccountIp.delete(key(ip, account)).catch(() => {}); },
  };
}

/**
 * Attempts of another kind (sign-ups, reset-link posts): every attempt counts, 10 per 15 minutes per client IP
 * and per key. Same Redis/in-memory fallback as the login limiter.
 */
export function createAttemptLimiter(redis: Redis, prefix: string, kind: 'signup' | 'reset' | 'forgot', points = 10) {
  const byIp = limiter(redis, redisKeys(prefix).attempts(kind, 'ip'), points);
  const byKey = limiter(redis, redisKeys(prefix).attempts(kind, 'acct'), points);
  return {
    /** Throws 429 when over the limit. */
    async consume(ip: string, key: string): Promise<void> {
      try {
        await Promise.all([byIp.consume(requesterNetwork(ip)), byKey.consume(key.toLowerCase())]);
      } catch (err) {
        if (err instanceof RateLimiterRes) throw tooMany(err.msBeforeNext, 'attempts');
        throw err;
      }
    },
  };
}
