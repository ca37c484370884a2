import test from 'ava';
import { startStack, request, waitForStatus, FINAL, type Stack } from '../helpers/stack.ts';
import { insertSubscriber } from '../../src/subscribers/subscriber.repository.ts';
import { mergeSettings } from '../helpers/subscribers.ts';

// Abuse protection where it meets the call: the opt-out key, the do-not-call list at dial time, and the
// second leg's destination.
let s: Stack;
test.before(async () => {
  s = await startStack({ label: 'policycalls', env: { CONFIRM_WAIT_MS: '2000' } });
  await mergeSettings(s, { retry: { maxAttempts: 1 } });
});
test.after.always(async () => { await s?.close(); });

test.serial('the visitor presses the opt-out key: the call ends, the request is canceled, the number is on the do-not-call list for every subscriber', async (t) => {
  s.sim.setRules([{ pattern: '12025550461$', behavior: { kind: 'answer', afterMs: 600, pressKey: '9' } }]);
  // Another subscriber already has a call-back to the same number scheduled.
  await insertSubscriber(s.c.pool, { slug: 'other-shop', name: 'Other', country: 'US', timezone: 'UTC', phoneE164: '+12025550122', phoneVerified: true });
  const pending = await request(s.base, '+1 202 555 0461', { subscriber: 'other-shop', scheduledAt: new Date(Date.now() + 3600_000).toISOString() });
  t.is(pending.status, 202);
  const r = await request(s.base, '+1 202 555 0461');
  const st = await waitForStatus(s.base, r.json, (x) => FINAL.has(x.status), 20000);
  s.sim.resetRules();
  t.is(st.status, 'canceled');
  t.is(st.attempts[0].outcome, 'canceled');
  const { rows } = await s.c.pool.query(`SELECT source FROM do_not_call WHERE phone_e164 = '+12025550461'`);
  t.deepEqual(rows, [{ source: 'dtmf' }]);
  const { rows: [attempt] } = await s.c.pool.query(`SELECT id FROM call_attempts WHERE request_id = $1`, [r.json.id]);
  t.is(s.sim.originates().filter((o) => o.channelId === `bk-c-${attempt.id}`).length, 0, 'the subscriber was never rung');
  t.is(s.sim.originates().filter((o) => o.channelId === `bk-v-${attempt.id}`).length, 1);
  // New requests for the number are refused...
  const again = await request(s.base, '+1 202 555 0461');
  t.is(again.status, 403);
  t.is(again.json.error.code, 'number_opted_out');
  // ...and the one already scheduled is canceled when its time comes instead of ringing.
  await s.c.pool.query(`UPDATE callback_requests SET next_attempt_at = now() WHERE id = $1`, [pending.json.id]);
  await (await s.c.queue.queue.getJob(pending.json.id))!.promote();
  const p = await waitForStatus(s.base, pending.json, (x) => FINAL.has(x.status), 20000);
  t.is(p.status, 'canceled');
  t.is(p.reason, 'number is on the do-not-call list');
  t.deepEqual(p.attempts, []);
  t.is(s.sim.originates({ number: '12025550461' }).length, 1, 'dialed once: for the call where the visitor opted out');
});

test.serial('the second leg always goes to the subscriber own number, whatever the request says', async (t) => {
  const r = await request(s.base, '+1 202 555 0462', {
    callee: '+19005550199', calleeEndpoint: 'PJSIP/19005550199@carrier', endpoint: 'PJSIP/agent9', destination: '+442079460958', phoneE164: '+19005550100',
  });
  t.is(r.status, 202);
  const st = await waitForStatus(s.base, r.json, (x) => FINAL.has(x.status), 20000);
  t.is(st.status, 'completed');
  const visitor = s.sim.originates({ number: '12025550462' });
  t.is(visitor.length, 1);
  const callee = s.sim.originates().filter((o) => o.channelId === visitor[0]!.channelId.replace('bk-v-', 'bk-c-'));
  t.deepEqual(callee.map((o) => o.endpoint), ['PJSIP/12025550111@carrier']);
  t.is(s.sim.originates({ number: '19005550199' }).length + s.sim.originates({ number: '19005550100' }).length, 0);
});
