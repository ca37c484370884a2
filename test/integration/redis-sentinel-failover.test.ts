import test from 'ava';
import { execFileSync } from 'node:child_process';
import { startSentinelRedis } from '../helpers/sentinel.ts';
import { FINAL, request, startStack, waitForStatus } from '../helpers/stack.ts';

/*
 * Web and worker with every Redis connection through three real Sentinels (REDIS_URL names a port where
 * nothing listens). The primary is SIGKILLed while call-backs arrive; the Sentinels promote the replica and
 * Beckon follows: every accepted request ends completed or is still waiting for its next try, and every
 * attempt was dialed once.
 */

const hasRedis = (() => { try { execFileSync('redis-server', ['--version'], { stdio: 'ignore' }); return true; } catch { return false; } })();
if (!hasRedis) console.log('Redis Sentinel test skipped: no redis-server binary');
const maybe = hasRedis ? test : test.skip;

maybe('the Redis primary killed under load: the Sentinels promote the replica, nothing accepted is lost, nothing dialed twice', async (t) => {
  t.timeout(90_000);
  const redis = await startSentinelRedis();
  const s = await startStack({
    label: 'sentinel',
    env: {
      REDIS_URL: 'redis://127.0.0.1:1', REDIS_SENTINELS: redis.sentinels, REDIS_SENTINEL_NAME: redis.name,
      MAX_CALL_SEC: '5',
      // Jobs the primary had not yet passed to the replica are lost with it: PostgreSQL's overdue requests
      // without a live job are enqueued again (quickly here).
      SCHEDULE_RECOVERY_INTERVAL_MS: '500', SCHEDULE_RECOVERY_GRACE_MS: '1500',
    },
  });
  try {
    s.sim.setRules([{ pattern: '.', behavior: { kind: 'answer', afterMs: 300, hangupAfterMs: 600_000 } }]);
    const accepted: Array<{ phone: string; id: string; statusToken: string }> = [];
    const refused: string[] = [];
    let n = 0;
    const send = async () => {
      const phone = `+1202555${String(4000 + n++).padStart(4, '0')}`;
      const r = await request(s.base, phone);
      if (r.status === 202) accepted.push({ phone, ...r.json }); else refused.push(`${phone}: ${r.status} ${r.text}`);
    };
    await Promise.all(Array.from({ length: 8 }, send));
    let sending = true;
    const load = (async () => { while (sending) { await Promise.all([send(), send()]); await new Promise((r) => setTimeout(r, 100)); } })();
    await new Promise((r) => setTimeout(r, 800));
    t.is(redis.currentPrimaryPort(), redis.primaryPort);
    redis.killPrimary();
    await redis.waitForFailover();
    t.is(redis.currentPrimaryPort(), redis.replicaPort);
    await new Promise((r) => setTimeout(r, 1500));
    sending = false;
    await load;
    t.log(`${accepted.length} accepted, ${refused.length} refused`);
    t.true(accepted.length >= 20, `accepted ${accepted.length}`);

    const finals = await Promise.all(accepted.map((a) => waitForStatus(s.base, a, (j) => FINAL.has(j.status), 45_000)));
    const notDone = finals.map((f, i) => `${accepted[i]!.phone} ${f?.status}`).filter((x) => !x.endsWith(' completed'));
    if (notDone.length) {
      // Not final: it must still be waiting for a next try (queued or scheduled), never stuck mid-call.
      const { rows } = await s.c.pool.query(`SELECT id, status FROM callback_requests WHERE id = ANY($1) AND status <> 'completed'`, [accepted.map((a) => a.id)]);
      t.deepEqual(rows.filter((r) => r.status !== 'queued' && r.status !== 'scheduled'), [], 'every request not completed waits for its next try');
    }
    if (notDone.length) t.log(`not completed yet: ${notDone.join(', ')}`);

    const originates = s.sim.originates();
    const { rows: attempts } = await s.c.pool.query(
      `SELECT r.id, count(a.id)::int AS n FROM callback_requests r LEFT JOIN call_attempts a ON a.request_id = r.id WHERE r.id = ANY($1) GROUP BY r.id`,
      [accepted.map((a) => a.id)]);
    const attemptsOf = new Map(attempts.map((r) => [r.id as string, r.n as number]));
    for (const a of accepted) {
      const dialed = originates.filter((o: any) => o.endpoint === `PJSIP/${a.phone.slice(1)}@carrier`).length;
      t.is(dialed, attemptsOf.get(a.id) ?? 0, `${a.phone}: ${dialed} originates for ${attemptsOf.get(a.id)} attempts`);
    }
  } finally {
    await s.close();
    await redis.close();
  }
});
