import test from 'ava';
import { startStack, request, waitForStatus, FINAL } from '../helpers/stack.ts';
import { startPrivateRedis } from '../helpers/private-redis.ts';
import { mergeSettings } from '../helpers/subscribers.ts';

test('Redis down at accept time: request still accepted, enqueued and called once Redis is back', async (t) => {
  const redis = await startPrivateRedis();
  const s = await startStack({ label: 'outbox', env: { REDIS_URL: redis.url, MAX_CALL_SEC: '5' } });
  try {
    await redis.stop();
    const r = await request(s.base, '+1 202 555 0161');
    t.is(r.status, 202, r.text);
    const row = await s.c.pool.query('SELECT status, enqueued_at FROM callback_requests WHERE id = $1', [r.json.id]);
    t.deepEqual(row.rows[0], { status: 'queued', enqueued_at: null });
    // Nothing can be dialed while Redis is down.
    await new Promise((res) => setTimeout(res, 500));
    t.is(s.sim.originates().length, 0);
    await redis.start();
    const st = await waitForStatus(s.base, r.json, (j) => FINAL.has(j.status), 30000);
    t.is(st.status, 'completed');
    t.is(st.attempts.length, 1);
    t.is(s.sim.originates().filter((o: any) => o.endpoint === 'PJSIP/12025550161@carrier').length, 1);
    const after = await s.c.pool.query('SELECT enqueued_at FROM callback_requests WHERE id = $1', [r.json.id]);
    t.truthy(after.rows[0].enqueued_at);
  } finally {
    await s.close();
    await redis.stop();
  }
});

test('50 requests at once: all reach a final state, each visitor dialed exactly once', async (t) => {
  const s = await startStack({ label: 'load50', env: { MAX_CALL_SEC: '5' } });
  try {
    await mergeSettings(s, { retry: { maxAttempts: 1 } });
    // Answering phones stay on the line until we hang up (the default 60 s cap is only 3 s at 1/20 speed,
    // shorter than a loaded machine may need to connect 50 calls).
    s.sim.setRules([{ pattern: '[1-5]$', behavior: { kind: 'answer', afterMs: 1000, hangupAfterMs: 600_000 } }]);
    // A mix of outcomes: last digit 0 busy, 8 rejects, 1-5 answer.
    const phones = Array.from({ length: 50 }, (_, i) => `+1202555${String(1000 + i * 7).padStart(4, '0')}`)
      .map((p) => (p.endsWith('9') || p.endsWith('6') || p.endsWith('7') ? p.slice(0, -1) + '2' : p));
    const unique = [...new Set(phones)];
    const created = await Promise.all(unique.map((p) => request(s.base, p)));
    t.true(created.every((c) => c.status === 202), created.map((c) => c.status).join(','));
    const finals = await Promise.all(created.map((c) => waitForStatus(s.base, c.json, (j) => FINAL.has(j.status), 60000)));
    t.true(finals.every((f) => FINAL.has(f.status)), finals.map((f) => f.status).join(','));
    const originates = s.sim.originates();
    for (const p of unique) {
      const n = originates.filter((o: any) => o.endpoint === `PJSIP/${p.slice(1)}@carrier`).length;
      t.is(n, 1, `${p} dialed ${n} times`);
    }
    const expectOutcome = (p: string) => (p.endsWith('0') ? 'busy' : p.endsWith('8') ? 'rejected' : 'answered');
    for (const [i, f] of finals.entries()) {
      if (f.attempts[0].outcome === expectOutcome(unique[i]!)) { t.pass(); continue; }
      const { rows } = await s.c.pool.query(`SELECT t.event, t.to_state, t.at FROM attempt_transitions t JOIN call_attempts a ON a.id = t.attempt_id WHERE a.request_id = $1 ORDER BY t.id`, [f.id]);
      t.fail(`${unique[i]}: ${f.attempts[0].outcome} (${f.attempts[0].causeTxt ?? f.attempts[0].cause ?? 'no cause'}); transitions ${JSON.stringify(rows)}`);
    }
  } finally {
    await s.close();
  }
});
