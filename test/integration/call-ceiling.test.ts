import test from 'ava';
import { createRedis } from '../../src/platform/redis.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { createCallCeiling } from '../../src/policy/call-ceiling.ts';
import { testRedisPrefix } from '../helpers/database.ts';

const redis = createRedis('redis://127.0.0.1:6379', { enableOfflineQueue: true });
const log = createLogger('silent');
test.after.always(() => { redis.disconnect(); });

const ceilingFor = (windows: { points: number; seconds: number }[], enabled = true) =>
  createCallCeiling(redis, { prefix: testRedisPrefix('ceiling'), windows, enabled, log });

test('40 dials at once to one number: exactly the ceiling is placed, across clients of one Redis', async (t) => {
  const prefix = testRedisPrefix('ceiling');
  // Two "workers": two ceilings (each defines the script on its own connection) over the same keys.
  const other = createRedis('redis://127.0.0.1:6379', { enableOfflineQueue: true });
  t.teardown(() => other.disconnect());
  const a = createCallCeiling(redis, { prefix, windows: [{ points: 3, seconds: 3600 }, { points: 6, seconds: 86_400 }], enabled: true, log });
  const b = createCallCeiling(other, { prefix, windows: [{ points: 3, seconds: 3600 }, { points: 6, seconds: 86_400 }], enabled: true, log });
  const verdicts = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).take('+12025550123')));
  t.is(verdicts.filter((v) => v.placed).length, 3);
  const refused = verdicts.find((v) => !v.placed);
  t.true(refused !== undefined && !refused.placed && refused.window.seconds === 3600 && refused.retryAfterMs > 3_590_000);
  // Other numbers are counted apart.
  t.true((await a.take('+12025550124')).placed);
});

test('the day window holds after the hour window has room again; a call not placed is given back', async (t) => {
  // A 1-second "hour" stands in for the short window so the test does not wait an hour.
  const c = ceilingFor([{ points: 2, seconds: 1 }, { points: 3, seconds: 86_400 }]);
  const n = '+12025550125';
  t.true((await c.take(n)).placed);
  const second = await c.take(n);
  t.true(second.placed);
  const third = await c.take(n);
  t.false(third.placed);
  if (!third.placed) t.is(third.window.seconds, 1);
  await new Promise((r) => setTimeout(r, 1100));
  t.true((await c.take(n)).placed, 'the short window has room again');
  const fourth = await c.take(n);
  t.false(fourth.placed);
  if (!fourth.placed) t.is(fourth.window.seconds, 86_400);
  // The second call never rang after all: it no longer counts.
  if (second.placed) await c.giveBack(n, second.ticket);
  await new Promise((r) => setTimeout(r, 1100));
  t.true((await c.take(n)).placed);
  t.false((await c.take(n)).placed);
});

test('switched off, every call is placed', async (t) => {
  const c = ceilingFor([{ points: 1, seconds: 3600 }], false);
  for (let i = 0; i < 5; i++) t.true((await c.take('+12025550126')).placed);
});
