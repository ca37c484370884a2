import test from 'ava';
import { startStack, request, waitForStatus, FINAL, getJson, type Stack } from '../helpers/stack.ts';
import { startPrivateRedis } from '../helpers/private-redis.ts';
import { untilWithin } from '../helpers/wait-for.ts';

const until = untilWithin(10000, 50);

let s: Stack;
/** A Redis of the test's own that the test stops and starts (no persistence: a restart loses everything). */
let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
test.before(async () => {
  redis = await startPrivateRedis();
  s = await startStack({
    label: 'faultsredis',
    env: { REDIS_URL: redis.url, RATE_LIMITS_ENABLED: 'true', LIMIT_PER_IP: '4/600', LIMIT_NUMBERS_PER_VISITOR: '100/3600' },
  });
});
test.after.always(async () => { await s?.close(); await redis?.stop(); });

test('Redis down: accept goes on through the PostgreSQL outbox (limits fall back to memory), and the queue resumes when Redis is back', async (t) => {
  const first = await request(s.base, '+1 202 555 0411');
  t.is(first.status, 202);
  t.is((await waitForStatus(s.base, first.json, (x) => FINAL.has(x.status), 20000)).status, 'completed');

  await redis.stop();
  t.true(await until(() => !s.c.queue.ready()), 'the web process sees Redis gone');
  const during = [];
  for (const phone of ['+1 202 555 0412', '+1 202 555 0413', '+1 202 555 0414', '+1 202 555 0415']) {
    const r = await request(s.base, phone);
    t.is(r.status, 202, `${phone}: ${r.text}`);
    t.is(r.json.status, 'queued');
    during.push(r.json);
  }
  // The per-IP limit still holds while Redis is away, per process: the memory fallback has counted 4, the limit.
  const limited = await request(s.base, '+1 202 555 0416');
  t.is(limited.status, 429);
  t.is(limited.json.error.code, 'ip_rate_limited');
  const { rows } = await s.c.pool.query(`SELECT count(*)::int AS n FROM callback_requests WHERE enqueued_at IS NULL`);
  t.is(rows[0].n, 4, 'all four wait in the outbox');
  // The status API needs only PostgreSQL.
  const st = await getJson(s.base, `/api/v1/callbacks/${during[0].id}?token=${encodeURIComponent(during[0].statusToken)}`);
  t.is(st.json.status, 'queued');
  t.is(s.sim.originates({ number: '12025550412' }).length, 0);

  await redis.start(); // empty: everything Redis held is gone
  for (const r of during) t.is((await waitForStatus(s.base, r, (x) => FINAL.has(x.status), 30000)).status, 'completed');
  for (const phone of ['12025550412', '12025550413', '12025550414', '12025550415']) t.is(s.sim.originates({ number: phone }).length, 1, `${phone} dialed once`);
  const { rows: finals } = await s.c.pool.query(
    `SELECT request_id, count(*)::int AS n FROM request_status_history WHERE to_status IN ('completed', 'failed', 'expired', 'canceled') GROUP BY request_id`);
  t.is(finals.length, 5);
  t.true(finals.every((f) => f.n === 1), 'each request reached exactly one final state');
});
