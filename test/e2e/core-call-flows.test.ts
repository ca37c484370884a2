import test from 'ava';
import { startStack, request, waitForStatus, FINAL, type Stack } from '../helpers/stack.ts';
import { listTransitions } from '../../src/calls/attempt.repository.ts';
import { mergeSettings } from '../helpers/subscribers.ts';

let s: Stack;
test.before(async () => {
  s = await startStack({ label: 'core', env: { MAX_CALL_SEC: '5' } });
  // One attempt per request in these tests, so each outcome is final and easy to see.
  await mergeSettings(s, { retry: { maxAttempts: 1 } });
  s.sim.setRules(LONG_CALLS);
});
test.after.always(async () => { await s?.close(); });

// Answering phones stay on until we hang up; the sim's 60 s cap is only 3 s at 1/20 speed.
const LONG_CALLS = [{ pattern: '[1-5]$', behavior: { kind: 'answer' as const, afterMs: 1000, hangupAfterMs: 600_000 } }];
const digits = (e164: string) => e164.replace('+', '');

test('answered visitor is bridged to the subscriber; request completes', async (t) => {
  const r = await request(s.base, '+1 202 555 0141');
  t.is(r.status, 202);
  t.truthy(r.json.statusToken);
  const st = await waitForStatus(s.base, r.json, (j) => FINAL.has(j.status), 20000);
  t.is(st.status, 'completed');
  t.is(st.attempts.length, 1);
  t.is(st.attempts[0].outcome, 'answered');
  t.truthy(st.attempts[0].answeredAt);
  t.truthy(st.attempts[0].endedAt);
  // The visitor was dialed through the trunk with the subscriber's number as caller id, then the subscriber with the visitor's.
  const visitorLeg = s.sim.originates().filter((o: any) => o.endpoint === 'PJSIP/12025550141@carrier');
  t.is(visitorLeg.length, 1);
  t.regex(visitorLeg[0]!.callerId, /\+12025550111/);
  const calleeLeg = s.sim.originates().filter((o: any) => o.channelId === visitorLeg[0]!.channelId.replace('bk-v-', 'bk-c-'));
  t.is(calleeLeg.length, 1);
  t.is(calleeLeg[0]!.endpoint, 'PJSIP/12025550111@carrier');
  t.regex(calleeLeg[0]!.callerId, /\+12025550141/);
  const { rows } = await s.c.pool.query(`SELECT id FROM call_attempts WHERE request_id = $1`, [r.json.id]);
  const path = (await listTransitions(s.c.pool, rows[0].id)).map((x) => x.to);
  t.deepEqual(path, ['visitor_ringing', 'visitor_confirming', 'callee_ringing', 'connected', 'ended']);
  // Nothing left up at the "Asterisk".
  t.deepEqual(s.sim.channels().filter((c: any) => c.id.includes(rows[0].id)), []);
});

for (const [phone, outcome, cause] of [['+1 202 555 0150', 'busy', 17], ['+1 202 555 0159', 'no_answer', 19], ['+1 202 555 0158', 'rejected', 21]] as const) {
  test(`visitor ${outcome}: attempt records cause ${cause}, request fails`, async (t) => {
    const r = await request(s.base, phone);
    t.is(r.status, 202);
    const st = await waitForStatus(s.base, r.json, (j) => FINAL.has(j.status), 20000);
    t.is(st.status, 'failed');
    t.is(st.attempts[0].outcome, outcome);
    t.is(st.attempts[0].cause, cause);
    t.is(s.sim.originates().filter((o: any) => o.endpoint === `PJSIP/${digits(phone.replace(/ /g, ''))}@carrier`).length, 1);
  });
}

test('visitor hangs up first while bridged: subscriber leg is hung up, outcome answered', async (t) => {
  // Digit 7 answers and hangs up 2 s (scaled) later.
  s.sim.setRules([...LONG_CALLS, { pattern: '12025550147$', behavior: { kind: 'answer', afterMs: 1000, hangupAfterMs: 40000 } }]);
  const r = await request(s.base, '+1 202 555 0147');
  const st = await waitForStatus(s.base, r.json, (j) => FINAL.has(j.status), 20000);
  s.sim.setRules(LONG_CALLS);
  t.is(st.status, 'completed');
  t.is(st.attempts[0].outcome, 'answered');
  const { rows } = await s.c.pool.query(`SELECT id, callee_answered_at FROM call_attempts WHERE request_id = $1`, [r.json.id]);
  t.truthy(rows[0].callee_answered_at);
  t.deepEqual(s.sim.channels().filter((c: any) => c.id.includes(rows[0].id)), []);
});

test('subscriber does not answer: callee_unanswered, visitor hung up', async (t) => {
  // A department whose phone never answers (last digit 9).
  const { rows: [sub] } = await s.c.pool.query(`SELECT id FROM subscribers WHERE slug = 'demo'`);
  await s.c.pool.query(`INSERT INTO departments (subscriber_id, name, phone_e164, phone_verified_at) VALUES ($1, 'Night desk', '+12025550199', now())`, [sub.id]);
  s.c.subscribers.invalidate();
  const r = await request(s.base, '+1 202 555 0142', { department: 'Night desk' });
  t.is(r.status, 202, r.text);
  const st = await waitForStatus(s.base, r.json, (j) => FINAL.has(j.status), 30000);
  t.is(st.status, 'failed');
  t.is(st.attempts[0].outcome, 'callee_unanswered');
  t.is(st.attempts[0].cause, 19);
});

test('answering machine (no key) is no_human and never reaches the subscriber', async (t) => {
  const r = await request(s.base, '+1 202 555 0146');
  const st = await waitForStatus(s.base, r.json, (j) => FINAL.has(j.status), 20000);
  t.is(st.attempts[0].outcome, 'no_human');
  const { rows } = await s.c.pool.query(`SELECT id FROM call_attempts WHERE request_id = $1`, [r.json.id]);
  t.is(s.sim.originates().filter((o: any) => o.channelId === `bk-c-${rows[0].id}`).length, 0);
});
