import test from 'ava';
import { startStack, request, waitForStatus, FINAL, type Stack } from '../helpers/stack.ts';
import { findSubscriberById, insertDepartment, updateDepartment, updateProfile } from '../../src/subscribers/subscriber.repository.ts';
import { listRequestsForSubscriber } from '../../src/requests/callback.repository.ts';

/**
 * Every dial is checked right before it is placed, on data read afresh: what was true at accept time (the
 * subscriber's phone verified) may not be when a scheduled request or a retry is dialed.
 */
let s: Stack;
let demoId: string;
test.before(async () => {
  s = await startStack({ label: 'dial-checks', env: { CONFIRM_WAIT_MS: '20000' } });
  demoId = (await s.c.pool.query(`SELECT id FROM subscribers WHERE slug = 'demo'`)).rows[0].id;
});
test.after.always(async () => { await s?.close(); });

// Tests here change the demo subscriber's phone: one at a time, each putting the verified phone back.
const DEMO_PHONE = '+12025550111';
async function setDemoPhone(phoneE164: string): Promise<void> {
  const d = (await findSubscriberById(s.c.pool, demoId))!;
  await updateProfile(s.c.pool, demoId, { name: d.name, country: d.country, timezone: d.timezone, phoneE164 });
  s.c.subscribers.invalidate('demo');
}
async function restoreDemoPhone(): Promise<void> {
  await setDemoPhone(DEMO_PHONE);
  await s.c.pool.query(`UPDATE subscribers SET phone_verified_at = now() WHERE id = $1`, [demoId]);
  s.c.subscribers.invalidate('demo');
}

async function delayedJobOf(requestId: string) {
  for (let i = 0; i < 100; i++) {
    const job = (await s.c.queue.queue.getDelayed()).find((j) => j.data.requestId === requestId);
    if (job) return job;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no delayed job for ${requestId}`);
}

/** The request's time comes now (its scheduled time or back-off): due in PostgreSQL, and its delayed job fires. */
async function comesDue(requestId: string, job: { promote(): Promise<void> }): Promise<void> {
  await s.c.pool.query(`UPDATE callback_requests SET next_attempt_at = now() WHERE id = $1`, [requestId]);
  await job.promote();
}

const reasonOf = async (id: string) => (await s.c.pool.query(`SELECT status, status_reason FROM callback_requests WHERE id = $1`, [id])).rows[0];
/** Originates that named the number as destination or as caller id. */
const touching = (digits: string) => s.sim.originates().filter((o) => o.number === digits || o.callerId.includes(digits));

test.serial('a scheduled request whose subscriber changed its phone meanwhile is not dialed, and fails with a reason the owner sees', async (t) => {
  t.teardown(restoreDemoPhone);
  const r = await request(s.base, '+1 202 555 0181', { scheduledAt: new Date(Date.now() + 45_000).toISOString() });
  t.is(r.status, 202, r.text);
  t.is(r.json.status, 'scheduled');
  // The owner changes the profile phone in the portal: its verification is cleared.
  await setDemoPhone('+5352345682');
  t.is((await findSubscriberById(s.c.pool, demoId))!.phoneVerifiedAt, null);
  // The scheduled time comes.
  await comesDue(r.json.id, await delayedJobOf(r.json.id));
  const done = await waitForStatus(s.base, r.json, (x) => FINAL.has(x.status), 20000);
  t.is(done.status, 'failed');
  t.is(s.sim.originates({ number: '12025550181' }).length, 0, 'the visitor was not rung');
  t.deepEqual(touching('5352345682'), [], 'the unverified number was neither rung nor shown as caller id');
  const { status_reason } = await reasonOf(r.json.id);
  t.regex(status_reason, /^refused: .*not verified/);
  const listed = (await listRequestsForSubscriber(s.c.pool, demoId, { limit: 500 })).find((x) => x.id === r.json.id)!;
  t.is(listed.statusReason, status_reason, 'the portal request list carries the reason');
});

test.serial('a retry after the phone changed is not dialed: the request fails with the reason', async (t) => {
  t.teardown(restoreDemoPhone);
  // Ends in 0: busy, so the retry policy schedules another attempt.
  const r = await request(s.base, '+1 202 555 0180');
  t.is(r.status, 202, r.text);
  const retry = await delayedJobOf(r.json.id);
  t.is(s.sim.originates({ number: '12025550180' }).length, 1);
  await setDemoPhone('+12025550177');
  await comesDue(r.json.id, retry);
  const done = await waitForStatus(s.base, r.json, (x) => FINAL.has(x.status), 20000);
  t.is(done.status, 'failed');
  t.is(s.sim.originates({ number: '12025550180' }).length, 1, 'no second call to the visitor');
  t.deepEqual(touching('12025550177'), []);
  t.regex((await reasonOf(r.json.id)).status_reason, /^refused: /);
});

test.serial('a department phone no longer verified at dial time is not dialed', async (t) => {
  const dep = await insertDepartment(s.c.pool, { subscriberId: demoId, name: 'Repairs', phoneE164: '+12025550133', verified: true });
  s.c.subscribers.invalidate('demo');
  const r = await request(s.base, '+1 202 555 0182', { department: 'Repairs', scheduledAt: new Date(Date.now() + 45_000).toISOString() });
  t.is(r.status, 202, r.text);
  await updateDepartment(s.c.pool, demoId, dep.id, { name: 'Repairs', answeredBy: 'phone', phoneE164: '+12025550134', position: 0 });
  await comesDue(r.json.id, await delayedJobOf(r.json.id));
  const done = await waitForStatus(s.base, r.json, (x) => FINAL.has(x.status), 20000);
  t.is(done.status, 'failed');
  t.is(s.sim.originates({ number: '12025550182' }).length, 0);
  t.deepEqual(touching('12025550134'), []);
  t.regex((await reasonOf(r.json.id)).status_reason, /^refused: .*not verified/);
});

test.serial('a phone changed while the visitor is on the line: the callee leg is refused, the attempt ends `refused`', async (t) => {
  t.teardown(restoreDemoPhone);
  // Ends in 6: answers and never presses a key by itself; the test presses it once the phone has changed.
  const r = await request(s.base, '+1 202 555 0186');
  t.is(r.status, 202, r.text);
  let attempt: { id: string; state: string; visitor_channel_id: string } | undefined;
  for (let i = 0; i < 200 && attempt?.state !== 'visitor_confirming'; i++) {
    await new Promise((res) => setTimeout(res, 50));
    attempt = (await s.c.pool.query(`SELECT id, state, visitor_channel_id FROM call_attempts WHERE request_id = $1`, [r.json.id])).rows[0];
  }
  t.is(attempt?.state, 'visitor_confirming');
  await setDemoPhone('+12025550178');
  s.sim.sendDtmf(attempt!.visitor_channel_id, '1');
  const done = await waitForStatus(s.base, r.json, (x) => FINAL.has(x.status), 20000);
  t.is(done.status, 'failed');
  t.is(done.attempts.at(-1).outcome, 'refused');
  t.deepEqual(touching('12025550178'), [], 'the new, unverified number was never rung');
  t.is(s.sim.originates().filter((o) => o.channelId.startsWith(`bk-c-${attempt!.id}`)).length, 0, 'no callee leg at all');
  t.regex((await reasonOf(r.json.id)).status_reason, /^refused: /);
});

test.serial('the visitor sees only a verified number: with the subscriber phone unverified, the department verified number is shown', async (t) => {
  t.teardown(restoreDemoPhone);
  await insertDepartment(s.c.pool, { subscriberId: demoId, name: 'Billing', phoneE164: '+12025550135', verified: true });
  await s.c.pool.query(`UPDATE subscribers SET phone_verified_at = NULL WHERE id = $1`, [demoId]);
  s.c.subscribers.invalidate('demo');
  const r = await postDepartmentRequest('+1 202 555 0183', 'Billing');
  const done = await waitForStatus(s.base, r, (x) => FINAL.has(x.status), 20000);
  t.is(done.status, 'completed');
  const visitorLeg = s.sim.originates({ number: '12025550183' });
  t.is(visitorLeg.length, 1);
  t.regex(visitorLeg[0]!.callerId, /\+12025550135/);
  t.notRegex(visitorLeg[0]!.callerId, /\+12025550111/);
});

/** The accept path refuses requests while the subscriber's own phone is unverified unless a department is named. */
async function postDepartmentRequest(phone: string, department: string) {
  const r = await request(s.base, phone, { department });
  if (r.status !== 202) throw new Error(r.text);
  return r.json;
}

test.serial('agent-first: the subscriber moved out of the served countries while the agent was offered the call: the visitor is not dialed', async (t) => {
  const { insertAgent, setAssignments, setAgentStatus } = await import('../../src/agents/agent.repository.ts');
  const settings = (await findSubscriberById(s.c.pool, demoId))!.settings;
  t.teardown(async () => {
    await s.c.pool.query(`UPDATE agents SET active = false WHERE login = 'dialcheck1'`);
    await s.c.pool.query(`UPDATE subscribers SET settings = $2, country = 'US' WHERE id = $1`, [demoId, settings]);
    await restoreDemoPhone();
  });
  await s.c.pool.query(
    `UPDATE subscribers SET settings = settings || '{"retry": {"maxAttempts": 1}, "answeredBy": "agents", "agents": {"mode": "agent_first", "waitSec": 30, "fallback": "reschedule"}}' WHERE id = $1`, [demoId]);
  s.c.subscribers.invalidate('demo');
  // An agent who takes calls from the console (no auto-answer): the offer waits for Accept.
  const a = await insertAgent(s.c.pool, { name: 'dialcheck1', login: 'dialcheck1', endpoint: 'PJSIP/dialcheck1', autoAnswer: false });
  await setAssignments(s.c.pool, a.id, [demoId], []);
  await setAgentStatus(s.c.pool, a.id, 'available');
  const r = await request(s.base, '+1 202 555 0187');
  t.is(r.status, 202, r.text);
  let attempt: { id: string; state: string } | undefined;
  for (let i = 0; i < 200 && attempt?.state !== 'offered'; i++) {
    await new Promise((res) => setTimeout(res, 50));
    attempt = (await s.c.pool.query(`SELECT id, state FROM call_attempts WHERE request_id = $1`, [r.json.id])).rows[0];
  }
  t.is(attempt?.state, 'offered');
  // Meanwhile the owner sets the profile country to one the operator does not serve.
  const d = (await findSubscriberById(s.c.pool, demoId))!;
  await updateProfile(s.c.pool, demoId, { name: d.name, country: 'CU', timezone: d.timezone, phoneE164: d.phoneE164! });
  // The agent accepts (what the console's Accept does): the agent is rung, then the visitor would be.
  await s.worker!.dialer.sessions.agentFirst(attempt!.id)!.dispatch({ type: 'agent.accepted' });
  const done = await waitForStatus(s.base, r.json, (x) => FINAL.has(x.status), 20000);
  t.is(done.status, 'failed');
  t.is(done.attempts.at(-1).outcome, 'refused');
  t.is(s.sim.originates({ number: '12025550187' }).length, 0, 'the visitor was not rung');
  t.regex((await reasonOf(r.json.id)).status_reason, /^refused: .*country/);
});
