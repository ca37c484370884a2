import test from 'ava';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { startPrivateRedis } from '../helpers/private-redis.ts';
import { limitSteps, type LimitStep, type StepResult } from '../../src/policy/limit-script.ts';

/**
 * The accept policy's one-call script against a real Redis: its counters behave as rate-limiter-flexible's
 * RateLimiterRedis (the keys it has written stay valid), every step runs, and every key it writes expires.
 */
let redis: Redis;
let run: (steps: LimitStep[]) => Promise<StepResult[]>;
const prefix = `test-limit-script-${randomBytes(4).toString('hex')}`;
test.before(async () => {
  redis = new Redis('redis://127.0.0.1:6379');
  run = limitSteps(redis);
});
test.after.always(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

const k = (name: string) => `${prefix}:${name}:${randomBytes(4).toString('hex')}`;
const counter = (key: string, points: number, windowSec: number, blockSec = 0): LimitStep => ({ kind: 'counter', key, points, windowSec, blockSec });

async function viaLibrary(l: RateLimiterRedis, id: string): Promise<{ consumed: number; msBeforeNext: number; refused: boolean }> {
  try {
    const r = await l.consume(id);
    return { consumed: r.consumedPoints, msBeforeNext: r.msBeforeNext, refused: false };
  } catch (r) {
    if (!(r instanceof RateLimiterRes)) throw r;
    return { consumed: r.consumedPoints, msBeforeNext: r.msBeforeNext, refused: true };
  }
}

for (const [points, windowSec, blockSec] of [[3, 600, 0], [3, 600, 86_400], [0, 60, 30], [2, 86_400, 0]] as const) {
  test(`a counter of ${points}/${windowSec}s with a ${blockSec}s block answers and stores what RateLimiterRedis does`, async (t) => {
    const libPrefix = k('lib');
    const lib = new RateLimiterRedis({ storeClient: redis, keyPrefix: libPrefix, points, duration: windowSec, blockDuration: blockSec });
    const ours = k('ours');
    for (let i = 0; i < points + 4; i++) {
      const expected = await viaLibrary(lib, 'x');
      const [got] = await run([counter(ours, points, windowSec, blockSec)]);
      t.like(got, { kind: 'counter', consumed: expected.consumed, refused: expected.refused }, `count ${i + 1}`);
      t.true(Math.abs((got as { msBeforeNext: number }).msBeforeNext - expected.msBeforeNext) < 1000, `count ${i + 1}: ms before next`);
      t.is(await redis.get(ours), await redis.get(`${libPrefix}:x`), `count ${i + 1}: stored count`);
      t.true(Math.abs(await redis.pttl(ours) - await redis.pttl(`${libPrefix}:x`)) < 1000, `count ${i + 1}: expiry`);
    }
  });
}

test('a counter over its limit reports the time left; the block is set once, by the count that crosses it', async (t) => {
  const key = k('num');
  const answers = [];
  for (let i = 0; i < 4; i++) answers.push((await run([counter(key, 2, 600, 3600)]))[0] as Extract<StepResult, { kind: 'counter' }>);
  t.deepEqual(answers.map((a) => [a.consumed, a.refused]), [[1, false], [2, false], [3, true], [4, true]]);
  t.true(answers[0]!.msBeforeNext > 599_000 && answers[0]!.msBeforeNext <= 600_000);
  t.is(answers[2]!.msBeforeNext, 3_600_000);
  t.true(answers[3]!.msBeforeNext > 3_590_000 && answers[3]!.msBeforeNext <= 3_600_000, 'the block, not the window');
});

test('a key left without an expiry is given the window', async (t) => {
  const key = k('legacy');
  await redis.set(key, '5');
  const [r] = await run([counter(key, 10, 60)]);
  t.like(r, { consumed: 6, msBeforeNext: 60_000, refused: false });
  t.true(await redis.ttl(key) > 0);
});

test('the visitor set allows a destination again, refuses a new one beyond its maximum, and expires with the first', async (t) => {
  const key = k('visitor');
  const ask = async (member: string) => ((await run([{ kind: 'visitor', key, member, max: 2, windowSec: 3600 }]))[0] as { allowed: boolean }).allowed;
  t.true(await ask('+12025550101'));
  t.true(await ask('+12025550102'));
  t.true(await ask('+12025550101'));
  t.false(await ask('+12025550103'));
  t.deepEqual((await redis.smembers(key)).sort(), ['+12025550101', '+12025550102']);
  const ttl = await redis.ttl(key);
  t.true(ttl > 3590 && ttl <= 3600);
});

test('once is true the first time only; the lock is not tried after a refusal', async (t) => {
  const token = k('token');
  const once = async () => ((await run([{ kind: 'once', key: token, ttlMs: 1_800_000 }]))[0] as { first: boolean }).first;
  t.true(await once());
  t.false(await once());
  t.true(await redis.pttl(token) > 1_790_000);

  const ip = k('ip');
  const lock = k('lock');
  const screen = () => run([counter(ip, 1, 600), { kind: 'lock', key: lock, ttlMs: 1500 }]);
  t.like((await screen())[1], { kind: 'lock', taken: true });
  const pttl = await redis.pttl(lock);
  t.true(pttl > 0 && pttl <= 1500);
  await redis.del(lock);
  const refused = await screen();
  t.like(refused[0], { refused: true });
  t.like(refused[1], { kind: 'lock', taken: false });
  t.is(await redis.exists(lock), 0, 'a refused request holds no lock');
});

test('every step counts when an earlier one refuses, and the answers come back in step order', async (t) => {
  const [short, long, visitor, day, token] = [k('num-s'), k('num-l'), k('visitor'), k('day'), k('token')];
  const steps: LimitStep[] = [
    counter(short, 0, 600, 86_400), counter(long, 5, 86_400, 86_400),
    { kind: 'visitor', key: visitor, member: '+12025550111', max: 2, windowSec: 3600 },
    counter(day, 1000, 86_400), { kind: 'once', key: token, ttlMs: 60_000 },
  ];
  const r = await run(steps);
  t.deepEqual(r.map((x) => x.kind), ['counter', 'counter', 'visitor', 'counter', 'once']);
  t.like(r[0], { consumed: 1, refused: true });
  t.like(r[1], { consumed: 1, refused: false });
  t.like(r[2], { allowed: true });
  t.like(r[3], { consumed: 1, refused: false });
  t.like(r[4], { first: true });
  for (const key of [short, long, visitor, day, token]) t.true(await redis.pttl(key) > 0, `${key} expires`);
});

test('after SCRIPT FLUSH the script is loaded again (EVALSHA falls back to EVAL)', async (t) => {
  // A Redis of the test's own: flushing the shared one's scripts would reach every other process using it.
  const own = await startPrivateRedis();
  const client = new Redis(own.url);
  try {
    const runOwn = limitSteps(client);
    t.like((await runOwn([counter(k('flushed'), 3, 60)]))[0], { consumed: 1 });
    await client.script('FLUSH');
    t.like((await runOwn([counter(k('flushed'), 3, 60)]))[0], { consumed: 1, refused: false });
  } finally {
    client.disconnect();
    await own.stop();
  }
});
