import test from 'ava';
import { redisOptions, redisTarget, redisUrlOf } from '../../src/platform/redis.ts';

const base = { REDIS_URL: 'redis://:pw@127.0.0.1:6379/2', REDIS_SENTINEL_NAME: 'mymaster' };

test('without REDIS_SENTINELS the target is REDIS_URL and the options name no Sentinel', (t) => {
  const target = redisTarget(base);
  t.is(target, base.REDIS_URL);
  const o = redisOptions(target, { enableOfflineQueue: true });
  t.is(o.sentinels, undefined);
  t.true(o.enableOfflineQueue);
  t.is(o.maxRetriesPerRequest, 1);
});

test('with REDIS_SENTINELS every connection asks the Sentinels for the primary, keeping its own options', (t) => {
  const target = redisTarget({ ...base, REDIS_SENTINELS: 'sen1:26379,10.0.0.2:26380', REDIS_SENTINEL_PASSWORD: 's3' });
  t.is(redisUrlOf(target), base.REDIS_URL);
  const blocking = redisOptions(target, { enableOfflineQueue: true, maxRetriesPerRequest: null, enableReadyCheck: false });
  t.deepEqual(blocking.sentinels, [{ host: 'sen1', port: 26379 }, { host: '10.0.0.2', port: 26380 }]);
  t.is(blocking.name, 'mymaster');
  t.is(blocking.sentinelPassword, 's3');
  t.is(blocking.maxRetriesPerRequest, null);
  t.true(blocking.enableOfflineQueue);
  t.false(blocking.enableReadyCheck);
  const shared = redisOptions(target);
  t.false(shared.enableOfflineQueue);
  t.is(shared.maxRetriesPerRequest, 1);
  t.is(typeof shared.reconnectOnError, 'function');
  t.truthy((shared.reconnectOnError as (e: Error) => boolean)(new Error("READONLY You can't write against a read only replica.")));
});

test('a connection that must not retry asks the Sentinels once', (t) => {
  const o = redisOptions(redisTarget({ ...base, REDIS_SENTINELS: 'a:1' }), { retryStrategy: () => null });
  t.is((o.sentinelRetryStrategy as (n: number) => unknown)(1), null);
});
