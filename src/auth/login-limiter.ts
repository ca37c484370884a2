import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';
import { AppError } from '../errors/app-error.ts';

/**
 * Login attempts: 10 per 15 minutes per IP and per account name. Redis-backed so every web process counts
 * together; if Redis is down, an in-memory limiter per process takes over (fail closed-ish, never open).
 */
export function createLoginLimiter(redis: Redis, prefix: string, points = 10) {
  const mk = (name: string) => new RateLimiterRedis({
    storeClient: redis, keyPrefix: `${prefix}:rl:login:${name}`, points, duration: 15 * 60, useRedisPackage: false,
    insuranceLimiter: new RateLimiterMemory({ points, duration: 15 * 60 }),
  });
  const byIp = mk('ip');
  const byAccount = mk('acct');
  return {
    /** Call before checking the password; throws 429 when over the limit. */
    async consume(ip: string, account: string): Promise<void> {
      try {
        await Promise.all([byIp.consume(ip), byAccount.consume(account.toLowerCase())]);
      } catch (err) {
        if (err instanceof RateLimiterRes) {
          const retry = Math.ceil(err.msBeforeNext / 1000);
          throw new AppError(429, 'too_many_attempts', `Too many login attempts. Try again in ${Math.ceil(retry / 60)} minutes.`, undefined, { retryAfter: retry });
        }
        throw err;
      }
    },
    /** A successful login clears the account's counter. */
    async reset(account: string): Promise<void> { await byAccount.delete(account.toLowerCase()).catch(() => {}); },
  };
}
