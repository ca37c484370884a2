import test from 'ava';
import { startStack, request, waitForStatus, FINAL, type Stack } from '../helpers/stack.ts';
import { mergeSettings } from '../helpers/subscribers.ts';

// Asterisk failing a step mid-call (an error answer, or no answer within the session's 4 s bound) is our failure,
// not the visitor's: the attempt ends `failed` with the cause "asterisk error: …" and the retry policy calls again.
// `answered` needs a confirmed bridge. A visitor hanging up while being answered stays the visitor's `abandoned`.
// The simulator's fault switch (PUT /sim/faults, src/sim/rest-faults.ts) makes its ARI REST fail or slow down.
let s: Stack;
test.before(async () => {
  s = await startStack({ label: 'asteriskerr', env: { CONFIRM_WAIT_MS: '3000' } });
  await mergeSettings(s, { retry: { maxAttempts: 3, backoffSec: { failed: 1, callee_unanswered: 1 }, outsideHours: true } });
});
test.after.always(async () => { await s?.close(); });
test.afterEach.always(() => { s.sim.resetRules(); s.sim.clearFaults(); });

const attemptsOf = async (id: string) => (await s.c.pool.query(
  `SELECT a.id, a.n, a.outcome, a.cause, a.cause_txt, a.answered_at, a.callee_answered_at FROM call_attempts a WHERE a.request_id = $1 ORDER BY a.n`, [id])).rows;
const visitorDials = (attemptId: string) => s.sim.originates().filter((o) => o.channelId === `bk-v-${attemptId}`).length;
/** Phones that answer, talk for ~1 s (1/20 time scale) and hang up. */
const talks = (digits: string) => s.sim.setRules([{ pattern: `${digits}$`, behavior: { kind: 'answer', afterMs: 400, hangupAfterMs: 20000 } }]);

test.serial('bridge creation refused (500) when the visitor answers: failed with the Asterisk cause, retried, then answered', async (t) => {
  talks('12025550451');
  s.sim.setFaults([{ method: 'POST', path: '^/bridges(\\?|$)', status: 500, times: 1 }]);
  const r = await request(s.base, '+1 202 555 0451');
  const st = await waitForStatus(s.base, r.json, (x) => FINAL.has(x.status), 30000);
  t.is(st.status, 'completed', JSON.stringify(st));
  const attempts = await attemptsOf(r.json.id);
  t.deepEqual(attempts.map((a) => a.outcome), ['failed', 'answered']);
  t.regex(attempts[0].cause_txt, /^asterisk error: create_bridge_with_visitor: /);
  t.truthy(attempts[0].answered_at, 'the visitor had answered: not their doing');
  for (const a of attempts) t.is(visitorDials(a.id), 1);
});

test.serial('ARI too slow to add the answered callee to the bridge: failed, not answered, and retried', async (t) => {
  talks('12025550452');
  s.sim.setFaults([{ method: 'POST', path: '^/bridges/[^/?]+/addChannel\\?channel=bk-c-', delayMs: 6000, times: 1 }]);
  const r = await request(s.base, '+1 202 555 0452');
  const st = await waitForStatus(s.base, r.json, (x) => FINAL.has(x.status), 40000);
  t.is(st.status, 'completed', JSON.stringify(st));
  const attempts = await attemptsOf(r.json.id);
  t.deepEqual(attempts.map((a) => a.outcome), ['failed', 'answered'], 'the callee answered but the two were never bridged');
  t.truthy(attempts[0].callee_answered_at);
  t.regex(attempts[0].cause_txt, /^asterisk error: connect_callee: no answer from Asterisk within 4000 ms/);
  const history = (await s.c.pool.query(`SELECT to_status FROM request_status_history WHERE request_id = $1 ORDER BY id`, [r.json.id])).rows.map((h) => h.to_status);
  t.is(history.filter((x) => x === 'connected').length, 1, 'stored connected only for the bridged attempt');
});

test.serial('a visitor hanging up while being answered is abandoned (their doing), not retried', async (t) => {
  // The bridge is slow to come, and the visitor is gone by the time their channel is added to it.
  s.sim.setRules([{ pattern: '12025550453$', behavior: { kind: 'answer', afterMs: 400, hangupAfterMs: 1 } }]);
  s.sim.setFaults([{ method: 'POST', path: '^/bridges(\\?|$)', delayMs: 300, times: 1 }]);
  const r = await request(s.base, '+1 202 555 0453');
  const st = await waitForStatus(s.base, r.json, (x) => FINAL.has(x.status), 20000);
  t.is(st.status, 'failed', JSON.stringify(st));
  const attempts = await attemptsOf(r.json.id);
  t.deepEqual(attempts.map((a) => a.outcome), ['abandoned']);
  t.is(s.sim.originates({ number: '12025550453' }).length, 1);
});
