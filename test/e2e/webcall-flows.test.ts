import test from 'ava';
import { randomBytes, randomUUID } from 'node:crypto';
import { startStack, postJson, API_AUTH, type Stack } from '../helpers/stack.ts';
import { sleep, waitFor } from '../helpers/wait-for.ts';
import { claimAttempts, listTransitions } from '../../src/calls/attempt.repository.ts';
import { setAgentStatus } from '../../src/agents/agent.repository.ts';
import { addAgent, demoAnsweredByAgents } from '../helpers/agents.ts';

// Web calls through the simulator's control route (POST /sim/webcalls: what a browser's INVITE to the anonymous
// endpoint does): the ticket is redeemed in the shared inbound app, the call is moved to a worker's app, the
// browser is rung and hears ringback as early media (183), the callee is rung as a call-back's second leg, and the
// browser is answered only when the callee answers.

let s: Stack;
test.before(async () => {
  s = await startStack({ label: 'webcall', env: { WEBCALL_ENABLED: 'true', MAX_CALL_SEC: '60', TAKEOVER_AFTER_SEC: '1', RING_TIMEOUT: '5' }, workerExt: { inboundLease: { ttlMs: 2000, renewMs: 200 } } });
  s.sim.setRules(ANSWERING);
  await waitFor('the worker holds the inbound app', async () => s.worker!.inboundApp!.holding());
});
test.after.always(async () => { await s?.close(); });

// The demo subscriber's phone (+1 202 555 0111) answers a second (scaled) after it rings and stays on.
const ANSWERING = [{ pattern: '12025550111$', behavior: { kind: 'answer' as const, afterMs: 1000, hangupAfterMs: 600_000 } }];
const SUBSCRIBER_PHONE = 'PJSIP/12025550111@carrier';

const issue = async () => {
  const r = await postJson(s.base, '/api/v1/webcalls', { subscriber: 'demo', visitorId: randomBytes(12).toString('base64url'), name: 'Web Visitor' }, API_AUTH);
  if (r.status !== 201) throw new Error(`ticket not issued: ${r.text}`);
  return r.json as { requestId: string; ticket: string; statusUrl: string };
};
const call = (ticket: string) => {
  const placed = s.sim.placeWebCall({ ticket });
  if (!placed.channelId) throw new Error(`web call refused at once: ${placed.status}`);
  return placed.channelId;
};
const browser = (channelId: string) => s.sim.calls().find((c: any) => c.channelId === channelId) as any;
const requestRow = async (id: string) => (await s.c.pool.query(`SELECT status, status_reason FROM callback_requests WHERE id = $1`, [id])).rows[0];
const calleeRings = () => s.sim.originates().filter((o: any) => o.endpoint === SUBSCRIBER_PHONE).length;

test.serial('a good ticket: the browser is rung with early media, answered when the callee answers and bridged; the browser hanging up ends both and the records are written', async (t) => {
  const o = await issue();
  const before = calleeRings();
  const channelId = call(o.ticket);
  await waitFor('the callee rings', async () => calleeRings() === before + 1, 15000);
  const early = browser(channelId).sip as string[];
  t.true(early.includes('180 Ringing'), early.join());
  await waitFor('ringback as early media', async () => (browser(channelId).sip as string[]).includes('183 Session Progress'), 5000);
  await waitFor('connected', async () => (await requestRow(o.requestId)).status === 'connected', 15000);
  t.is(calleeRings(), before + 1);
  const sip = browser(channelId).sip as string[];
  t.true(sip.indexOf('183 Session Progress') < sip.indexOf('200 OK'), sip.join());
  const { rows: [attempt] } = await s.c.pool.query(`SELECT id, flow, visitor_channel_id, callee_channel_id, bridge_id FROM call_attempts WHERE request_id = $1`, [o.requestId]);
  t.like(attempt, { flow: 'web_inbound', visitor_channel_id: channelId });
  const bridged = s.sim.channels().filter((c: any) => c.bridge_id === attempt.bridge_id).map((c: any) => c.id).sort();
  t.deepEqual(bridged, [attempt.callee_channel_id, channelId].sort());

  s.sim.hangUpWebCall(channelId);
  await waitFor('completed', async () => (await requestRow(o.requestId)).status === 'completed', 15000);
  t.deepEqual((await listTransitions(s.c.pool, attempt.id)).map((x) => x.to), ['browser_arrived', 'callee_ringing', 'connected', 'ended']);
  await waitFor('the callee hung up', async () => !s.sim.channels().some((c: any) => c.id === attempt.callee_channel_id));
  const records = await waitFor('call records', async () => {
    const { rows } = await s.c.pool.query(`SELECT leg, to_number, disposition, charge_cents FROM call_records WHERE attempt_id = $1 ORDER BY leg DESC`, [attempt.id]);
    return rows.length === 2 ? rows : null;
  });
  t.like(records[0], { leg: 'visitor', to_number: null, disposition: 'ANSWERED', charge_cents: 0 });
  t.like(records[1], { leg: 'callee', to_number: '+12025550111', disposition: 'ANSWERED' });

  // The same ticket again: hung up within a second, nothing rung.
  const rings = calleeRings();
  const again = call(o.ticket);
  const started = Date.now();
  await waitFor('reused ticket declined', async () => (browser(again).sip as string[]).includes('603 Decline'), 2000, 20);
  t.true(Date.now() - started < 1000);
  t.is(calleeRings(), rings);
});

test.serial('a forged, a missing and an expired ticket are each hung up within a second with nothing rung', async (t) => {
  const expired = await issue();
  await s.c.pool.query(`UPDATE webcall_tickets SET expires_at = now() - interval '1 second' WHERE request_id = $1`, [expired.requestId]);
  const rings = calleeRings();
  for (const ticket of [randomBytes(32).toString('base64url'), '', expired.ticket]) {
    const started = Date.now();
    const channelId = call(ticket);
    await waitFor('declined', async () => (browser(channelId).sip as string[]).includes('603 Decline'), 2000, 20);
    // Within a second on an idle machine; the bound allows for a CI machine running other suites at once.
    t.true(Date.now() - started < 3000, `hung up in ${Date.now() - started} ms`);
    t.false((browser(channelId).sip as string[]).includes('200 OK'));
  }
  t.is(calleeRings(), rings);
  // The browser is hung up first; the request is settled right after.
  await waitFor('expired', async () => (await requestRow(expired.requestId)).status === 'expired', 5000);
  t.like(await requestRow(expired.requestId), { status: 'expired', status_reason: 'ticket_expired' });
});

test.serial('a busy callee: the unanswered browser is refused with 486 Busy Here and the request fails', async (t) => {
  s.sim.setRules([{ pattern: '12025550111$', behavior: { kind: 'busy' as const, afterMs: 500 } }]);
  try {
    const o = await issue();
    const channelId = call(o.ticket);
    await waitFor('failed', async () => (await requestRow(o.requestId)).status === 'failed', 15000);
    t.regex((await requestRow(o.requestId)).status_reason, /nobody answered the web call/);
    const sip = await waitFor('the browser refused', async () => {
      const lines = browser(channelId).sip as string[];
      return lines.includes('486 Busy Here') ? lines : null;
    }, 5000);
    t.true(sip.includes('183 Session Progress'), sip.join());
    t.false(sip.includes('200 OK'), sip.join());
  } finally {
    s.sim.setRules(ANSWERING);
  }
});

test.serial('an unanswered callee: the browser is refused with 480 Temporarily Unavailable after the ring timeout', async (t) => {
  s.sim.setRules([{ pattern: '12025550111$', behavior: { kind: 'noanswer' as const } }]);
  try {
    const o = await issue();
    const channelId = call(o.ticket);
    await waitFor('failed', async () => (await requestRow(o.requestId)).status === 'failed', 20000);
    const sip = await waitFor('the browser refused', async () => {
      const lines = browser(channelId).sip as string[];
      return lines.includes('480 Temporarily Unavailable') ? lines : null;
    }, 5000);
    t.false(sip.includes('200 OK'), sip.join());
    const { rows: [a] } = await s.c.pool.query(`SELECT outcome FROM call_attempts WHERE request_id = $1`, [o.requestId]);
    t.is(a.outcome, 'callee_unanswered');
  } finally {
    s.sim.setRules(ANSWERING);
  }
});

test.serial('the callee hanging up ends the browser\'s call too', async (t) => {
  const o = await issue();
  const channelId = call(o.ticket);
  await waitFor('connected', async () => (await requestRow(o.requestId)).status === 'connected', 15000);
  const { rows: [attempt] } = await s.c.pool.query(`SELECT callee_channel_id FROM call_attempts WHERE request_id = $1`, [o.requestId]);
  s.sim.farEndHangup(attempt.callee_channel_id);
  await waitFor('completed', async () => (await requestRow(o.requestId)).status === 'completed', 15000);
  await waitFor('the browser is hung up', async () => (browser(channelId).sip as string[]).some((l) => l.startsWith('BYE')));
  t.pass();
});

test.serial('a web call of a worker that is gone is taken over and ended, never dialed again', async (t) => {
  const o = await issue();
  const attemptId = randomUUID();
  await claimAttempts(s.c.pool, [{
    id: attemptId, requestId: o.requestId, flow: 'web_inbound', state: 'callee_ringing', workerId: 'gone-worker',
    visitorChannelId: 'gone-browser', calleeChannelId: `bk-c-${attemptId}`, bridgeId: `bk-b-${attemptId}`, calleeKind: 'phone', calleeEndpoint: SUBSCRIBER_PHONE,
  }]);
  await s.c.pool.query(`UPDATE call_attempts SET started_at = now() - interval '1 minute' WHERE id = $1`, [attemptId]);
  const rings = calleeRings();
  await waitFor('taken over', async () => (await s.worker!.recover.takeover()) > 0, 10000, 200);
  const { rows: [a] } = await s.c.pool.query(`SELECT outcome, cause_txt, ended_at FROM call_attempts WHERE id = $1`, [attemptId]);
  t.like(a, { outcome: 'failed', cause_txt: 'web call lost with its worker' });
  t.truthy(a.ended_at);
  t.like(await requestRow(o.requestId), { status: 'failed', status_reason: 'web call lost with its worker' });
  await sleep(300);
  t.is(calleeRings(), rings, 'nothing dialed again');
  t.is((await s.c.pool.query(`SELECT count(*)::int AS n FROM call_attempts WHERE request_id = $1`, [o.requestId])).rows[0].n, 1);
});

test.serial('a browser that hangs up while its call is being set up ends it abandoned, and the callee is never rung', async (t) => {
  const o = await issue();
  const rings = calleeRings();
  // The worker's claim of the request waits on this lock: the browser's hang-up falls into the set-up, after the
  // worker took the channel and before any session knows it.
  const lock = await s.c.pool.connect();
  try {
    await lock.query('BEGIN');
    await lock.query(`SELECT 1 FROM callback_requests WHERE id = $1 FOR NO KEY UPDATE`, [o.requestId]);
    const channelId = call(o.ticket);
    await waitFor('the claim waits on the lock', async () => {
      const { rows } = await s.c.pool.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
      return rows[0].n > 0;
    }, 10000);
    s.sim.hangUpWebCall(channelId);
    await waitFor('the browser is gone', async () => !s.sim.channels().some((c: any) => c.id === channelId));
    await lock.query('COMMIT');
  } finally {
    lock.release();
  }
  const row = await waitFor('the request ends', async () => {
    const r = await requestRow(o.requestId);
    return ['completed', 'failed', 'canceled', 'expired'].includes(r.status) ? r : null;
  }, 15000);
  const { rows: [a] } = await s.c.pool.query(`SELECT outcome, ended_at FROM call_attempts WHERE request_id = $1`, [o.requestId]);
  t.like(a, { outcome: 'abandoned' }, JSON.stringify(row));
  t.truthy(a.ended_at);
  await sleep(1500);
  t.is(calleeRings(), rings, 'the callee was never rung');
});

test.serial('Asterisk going down while a web call rings ends it failed as lost, not as a visitor who hung up', async (t) => {
  s.sim.setRules([{ pattern: '12025550111$', behavior: { kind: 'noanswer' as const } }]);
  try {
    const o = await issue();
    const rings = calleeRings();
    call(o.ticket);
    await waitFor('the callee rings', async () => calleeRings() === rings + 1, 15000);
    await s.sim.restart(300, 500);
    const row = await waitFor('the request ends', async () => {
      const r = await requestRow(o.requestId);
      return r.status === 'failed' ? r : null;
    }, 20000);
    t.regex(row.status_reason, /Asterisk went down during the call/);
    const { rows: [a] } = await s.c.pool.query(`SELECT outcome FROM call_attempts WHERE request_id = $1`, [o.requestId]);
    t.is(a.outcome, 'failed');
    // The browser's next INVITE needs the shared inbound app's socket back at Asterisk.
    await waitFor('the inbound app is back', async () => {
      const r = await fetch(`${s.sim.ariUrl}/ari/applications`, { headers: { authorization: `Basic ${Buffer.from('beckon:beckon').toString('base64')}` } });
      return r.ok && ((await r.json()) as { name: string }[]).some((a) => a.name.endsWith('-inbound'));
    }, 20000);
  } finally {
    s.sim.setRules(ANSWERING);
  }
});

test.serial('answered by agents: the web call rings a free agent, who is connected and released after', async (t) => {
  await demoAnsweredByAgents(s, { waitSec: 60, mode: 'customer_first' });
  const agent = await addAgent(s, { login: 'webagent', autoAnswer: true });
  await setAgentStatus(s.c.pool, agent.id, 'available');
  s.c.subscribers.invalidate('demo');
  const o = await waitFor('ticket issued', async () => issue().catch(() => null), 5000, 200);
  const channelId = call(o.ticket);
  await waitFor('connected', async () => (await requestRow(o.requestId)).status === 'connected', 15000);
  const { rows: [a] } = await s.c.pool.query(`SELECT callee_kind, callee_endpoint FROM call_attempts WHERE request_id = $1`, [o.requestId]);
  t.like(a, { callee_kind: 'agent', callee_endpoint: 'PJSIP/webagent' });
  s.sim.hangUpWebCall(channelId);
  await waitFor('completed', async () => (await requestRow(o.requestId)).status === 'completed', 15000);
  const offers = await waitFor('offer ended', async () => {
    const { rows } = await s.c.pool.query(`SELECT outcome FROM agent_offers WHERE request_id = $1 AND ended_at IS NOT NULL`, [o.requestId]);
    return rows.length ? rows : null;
  });
  t.deepEqual(offers.map((r: { outcome: string }) => r.outcome), ['connected']);
});
