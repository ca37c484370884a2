import test from 'ava';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { loadConfig } from '../../src/platform/config.ts';
import { AppError } from '../../src/platform/errors.ts';
import { redisKeys } from '../../src/platform/redis-keys.ts';
import { createRateLimits, type LimitChecks, type RateLimits } from '../../src/policy/rate-limits.ts';
import { freePort } from '../helpers/private-redis.ts';

/**
 * The accept policy's limits as one call per group, against a real Redis: which refusal is reported when several
 * limits refuse at once, what each one counts, the switch that turns them off, and what holds without Redis.
 */
const ENV = {
  LIMIT_PER_IP: '2/600', LIMIT_PER_NUMBER_SHORT: '1/600', LIMIT_PER_NUMBER_LONG: '15/86400', NUMBER_BLOCK_SEC: '7200',
  LIMIT_NUMBERS_PER_VISITOR: '1/3600', LIMIT_FORM_TOKENS_PER_IP: '1/600',
};
const clients: Redis[] = [];
const prefixes: string[] = [];
test.after.always(async () => {
  const redis = new Redis('redis://127.0.0.1:6379');
  for (const p of prefixes) {
    const keys = await redis.keys(`${p}:*`);
    if (keys.length) await redis.del(...keys);
  }
  redis.disconnect();
  for (const c of clients) c.disconnect();
});

async function limitsOn(url: string, env: Record<string, string> = {}, o: { lazy?: boolean } = {}) {
  const prefix = `test-rl-${randomBytes(4).toString('hex')}`;
  prefixes.push(prefix);
  const redis = new Redis(url, { lazyConnect: o.lazy ?? false, maxRetriesPerRequest: 0 });
  clients.push(redis);
  if (!o.lazy && redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  const warnings: string[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => { warnings.push(JSON.parse(line).msg); } });
  const config = loadConfig({ REDIS_PREFIX: prefix, ...ENV, ...env });
  return { limits: createRateLimits(redis, config, log), redis, key: redisKeys(prefix), warnings };
}

/** The refusal's code and Retry-After, or 'ok' with what the call resolved to. */
async function outcome(limits: RateLimits, checks: LimitChecks) {
  try {
    return { ok: await limits.check(checks) };
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    return { code: err.code, retryAfterSec: err.extra?.retryAfterSec };
  }
}

test('within a group every limit counts and the first refusal in order is reported: number, visitor, subscriber day, token', async (t) => {
  const { limits, redis, key } = await limitsOn('redis://127.0.0.1:6379');
  const group = (number: string, nonce: string) => ({ number, visitor: { key: 'v1', destination: number }, subscriberDay: { id: 's1', limit: 2 }, token: { nonce, ttlSec: 1800 } });
  t.deepEqual(await outcome(limits, group('+12025550101', 'n1')), { ok: { firstUse: true, lock: null } });
  // Second request for the same number with the same token: the number is over its short window (reported first),
  // the visitor's number is already known, the day counts 2, the token is spent.
  t.deepEqual(await outcome(limits, group('+12025550101', 'n1')), { code: 'number_rate_limited', retryAfterSec: 7200 });
  t.is(await redis.get(`${key.rateLimit('sub-day')}:s1`), '2', 'the subscriber day counted the refused request');
  // A new number: the visitor may ask for one only, and the day is over its 2.
  t.like(await outcome(limits, group('+12025550102', 'n2')), { code: 'visitor_rate_limited', retryAfterSec: 3600 });
  t.like(await outcome(limits, { subscriberDay: { id: 's1', limit: 2 }, token: { nonce: 'n1', ttlSec: 1800 } }), { code: 'subscriber_daily_limit' });
  t.deepEqual(await outcome(limits, { token: { nonce: 'n1', ttlSec: 1800 } }), { ok: { firstUse: false, lock: null } });
  const dayTtl = await redis.ttl(`${key.rateLimit('sub-day')}:s1`);
  t.true(dayTtl > 86_000 && dayTtl <= 86_400);
});

test('screening: the per-IP limit counts every request; the lock is taken only when the IP is within its limit', async (t) => {
  const { limits, redis, key } = await limitsOn('redis://127.0.0.1:6379');
  const lock = { key: key.openRequestLock('s1', '+12025550121'), ttlMs: 1500 };
  t.deepEqual(await outcome(limits, { ip: '203.0.113.5', lock }), { ok: { firstUse: true, lock: lock.key } });
  t.deepEqual(await outcome(limits, { ip: '203.0.113.5', lock }), { ok: { firstUse: true, lock: false } }, 'held by the first');
  await redis.del(lock.key);
  t.deepEqual(await outcome(limits, { ip: '203.0.113.5', lock }), { code: 'ip_rate_limited', retryAfterSec: 600 });
  t.is(await redis.exists(lock.key), 0);
  t.is(await redis.get(`${key.rateLimit('ip')}:203.0.113.5`), '3');
  // No address: no per-IP limit, the lock all the same.
  t.deepEqual(await outcome(limits, { ip: null, lock }), { ok: { firstUse: true, lock: lock.key } });
  await limits.formTokens('203.0.113.6');
  const err = await t.throwsAsync(limits.formTokens('203.0.113.6'), { instanceOf: AppError });
  t.is(err.code, 'form_token_rate_limited');
});

test('RATE_LIMITS_ENABLED=false: nothing is counted or refused; the lock and the single use of form tokens stay', async (t) => {
  const { limits, redis, key } = await limitsOn('redis://127.0.0.1:6379', { RATE_LIMITS_ENABLED: 'false' });
  const lock = { key: key.openRequestLock('s1', '+12025550131'), ttlMs: 1500 };
  for (let i = 0; i < 4; i++) {
    const r = await outcome(limits, { ip: '203.0.113.7', number: '+12025550131', visitor: { key: 'v', destination: `+1202555013${i}` }, subscriberDay: { id: 's', limit: 1 } });
    t.deepEqual(r, { ok: { firstUse: true, lock: null } });
    await limits.formTokens('203.0.113.7');
  }
  t.deepEqual(await outcome(limits, { ip: '203.0.113.7', lock }), { ok: { firstUse: true, lock: lock.key } });
  t.deepEqual(await outcome(limits, { token: { nonce: 'n', ttlSec: 60 } }), { ok: { firstUse: true, lock: null } });
  t.deepEqual(await outcome(limits, { token: { nonce: 'n', ttlSec: 60 } }), { ok: { firstUse: false, lock: null } });
  const written = (await redis.keys(`${key.rateLimit('ip').replace(/:rl:ip$/, '')}:*`)).sort();
  t.deepEqual(written, [key.formTokenUsed('n'), lock.key].sort());
});

test('Redis not there: IP, number and subscriber-day limits hold in memory, the visitor and token checks are skipped and logged, no lock', async (t) => {
  const { limits, warnings } = await limitsOn(`redis://127.0.0.1:${await freePort()}`, {}, { lazy: true });
  const lock = { key: 'unused', ttlMs: 1500 };
  t.deepEqual(await outcome(limits, { ip: '203.0.113.9', lock }), { ok: { firstUse: true, lock: null } });
  t.deepEqual(await outcome(limits, { ip: '203.0.113.9', lock }), { ok: { firstUse: true, lock: null } });
  t.deepEqual(await outcome(limits, { ip: '203.0.113.9', lock }), { code: 'ip_rate_limited', retryAfterSec: 600 });
  const group = (nonce: string) => ({ number: '+12025550141', visitor: { key: 'v', destination: `+1${nonce}` }, subscriberDay: { id: 's', limit: 3 }, token: { nonce: 'same', ttlSec: 60 } });
  t.deepEqual(await outcome(limits, group('1')), { ok: { firstUse: true, lock: null } });
  t.deepEqual(await outcome(limits, group('2')), { code: 'number_rate_limited', retryAfterSec: 7200 });
  t.like(await outcome(limits, { subscriberDay: { id: 's', limit: 3 } }), { ok: { firstUse: true } });
  t.like(await outcome(limits, { subscriberDay: { id: 's', limit: 3 } }), { code: 'subscriber_daily_limit' });
  t.true(warnings.includes('visitor number limit skipped: Redis unavailable'));
  t.true(warnings.includes('form token reuse check skipped: Redis unavailable'));
  await limits.formTokens('203.0.113.9');
  await t.throwsAsync(limits.formTokens('203.0.113.9'), { instanceOf: AppError, message: /Too many forms/ });
});
