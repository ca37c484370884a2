import test from 'ava';
import { startStack, request, waitForStatus, FINAL, type Stack } from '../helpers/stack.ts';
import { listTransitions } from '../../src/calls/attempt.repository.ts';
import { setAgentStatus, listOffers } from '../../src/agents/agent.repository.ts';
import { addAgent, agentClient, demoAnsweredByAgents } from '../helpers/agents.ts';
import { waitFor as until } from '../helpers/wait-for.ts';
import { insertDepartment } from '../../src/subscribers/subscriber.repository.ts';

// Transfer on an agent-first call, through the console route, the worker and the simulator: the visitor holds
// (music) while the target rings; the target answering takes the call over, anything else returns the visitor.
let s: Stack;
let demoId: string;

test.before(async () => {
  s = await startStack({ label: 'agenttransfer', env: { MAX_CALL_SEC: '30', AGENT_WRAP_UP_SEC: '120', AGENT_WAIT_POLL_MS: '100', RING_TIMEOUT: '5', RATE_LIMITS_ENABLED: 'false', AGENT_OFFER_TIMEOUT_SEC: '30' } });
  demoId = await demoAnsweredByAgents(s, { waitSec: 30 });
});
test.after.always(async () => { await s?.close(); });

const PASSWORD = 'long enough password';
const agent = (login: string, endpoint: string) => addAgent(s, { login, endpoint, autoAnswer: true, password: PASSWORD, subscriberIds: [demoId] });
const loggedIn = (login: string) => agentClient(s.base, login, PASSWORD);

const attemptOf = async (requestId: string) =>
  (await s.c.pool.query(`SELECT id, state, callee_endpoint, callee_channel_id, outcome FROM call_attempts WHERE request_id = $1 ORDER BY n DESC LIMIT 1`, [requestId])).rows[0];
const agentRow = async (id: string) => (await s.c.pool.query(`SELECT status, reserved_request, reserved_attempt, call_held FROM agents WHERE id = $1`, [id])).rows[0];
const legs = (attemptId: string) => s.sim.channels().filter((c: any) => c.id.includes(attemptId)) as any[];

test.serial('transfer to another agent: the target answers, joins the bridge with the visitor, the first agent goes to wrap-up; the attempt names the target', async (t) => {
  const a = await agent('xfa', 'PJSIP/xfa');
  const b = await agent('xfb', 'PJSIP/xfb');
  const away = await agent('xfaway', 'PJSIP/xfaway');
  await setAgentStatus(s.c.pool, a.id, 'available');
  const r = await request(s.base, '+1 202 555 0161');
  t.is(r.status, 202, r.text);
  const att = await until('connected', async () => { const x = await attemptOf(r.json.id); return x?.state === 'connected' && x; });
  await setAgentStatus(s.c.pool, b.id, 'available');
  const console = await loggedIn('xfa');
  const snap = (await console.go('/agent/state', { headers: { accept: 'application/json' } })).json;
  // Only available agents of the subscriber (not oneself nor one away), then its departments with a verified phone.
  t.deepEqual(snap.transferTargets.map((x: any) => [x.kind, x.label]), [['agent', 'xfb'], ['department', 'Sales (phone)'], ['department', 'Support (phone)']]);
  t.is(snap.transferTargets[0].id, b.id);
  // Validated at the edge: not a UUID is a 400, an agent who cannot take it a 409.
  t.is((await console.api('/agent/call/transfer', { attemptId: att.id, target: 'nobody' })).status, 400);
  t.is((await console.api('/agent/call/transfer', { attemptId: att.id, target: away.id })).status, 409);
  const sent = await console.api('/agent/call/transfer', { attemptId: att.id, target: b.id });
  t.is(sent.status, 202, sent.text);
  const moved = await until('the target taking over', async () => { const x = await attemptOf(r.json.id); return x.callee_endpoint === 'PJSIP/xfb' && x; });
  t.is(moved.state, 'connected');
  t.is(moved.callee_channel_id, `bk-c-${att.id}-2`);
  const up = await until('the first agent leg gone', async () => { const l = legs(att.id); return l.length === 2 && l; });
  t.deepEqual(up.map((c) => c.id).sort(), [`bk-c-${att.id}-2`, `bk-v-${att.id}`]);
  t.true(up.every((c) => c.bridge_id === `bk-b-${att.id}`), 'visitor and target in the call bridge');
  // The music stops as its own ARI call, after the first agent's leg is hung up.
  t.true(await until('the visitor off hold', async () => legs(att.id).find((c) => c.id === `bk-v-${att.id}`)?.moh === false), 'the visitor is off hold');
  const first = await until('the first agent released', async () => { const x = await agentRow(a.id); return x.reserved_request === null && x; });
  t.is(first.status, 'wrap_up');
  t.is((await agentRow(b.id)).reserved_request, r.json.id);
  t.deepEqual((await listOffers(s.c.pool, r.json.id)).map((o) => [o.agentId, o.outcome]), [[a.id, 'connected'], [b.id, null]]);
  t.is((await waitForStatus(s.base, r.json, (j) => j.stage === 'connected', 5000)).stage, 'connected');
  // The target holds the call now: the visitor hanging up releases it into wrap-up.
  s.sim.farEndHangup(`bk-v-${att.id}`);
  const st = await waitForStatus(s.base, r.json, (j) => FINAL.has(j.status), 10000);
  t.is(st.status, 'completed');
  t.deepEqual((await listTransitions(s.c.pool, att.id)).map((x) => x.to), ['offered', 'agent_ringing', 'visitor_ringing', 'connected', 'transferring', 'connected', 'ended']);
  t.deepEqual((await listOffers(s.c.pool, r.json.id)).map((o) => [o.agentId, o.outcome]), [[a.id, 'connected'], [b.id, 'connected']]);
  const target = await agentRow(b.id);
  t.is(target.reserved_request, null);
  t.is(target.status, 'wrap_up');
  t.is((await attemptOf(r.json.id)).outcome, 'answered');
  await s.c.pool.query(`UPDATE agents SET active = false WHERE id = ANY($1::uuid[])`, [[a.id, b.id, away.id]]);
});

test.serial('transfer to a busy agent, then to one who does not answer: each time the visitor is taken off hold and stays with the first agent', async (t) => {
  const a = await agent('xfc', 'PJSIP/xfc');
  await setAgentStatus(s.c.pool, a.id, 'available');
  const r = await request(s.base, '+1 202 555 0162');
  t.is(r.status, 202, r.text);
  const att = await until('connected', async () => { const x = await attemptOf(r.json.id); return x?.state === 'connected' && x; });
  const busy = await agent('xfbusy', 'PJSIP/agent2');
  const silent = await agent('xfsilent', 'PJSIP/agent3');
  // Whatever this test ends with, its agents take no call of the next one.
  t.teardown(() => s.c.pool.query(`UPDATE agents SET active = false WHERE id = ANY($1::uuid[])`, [[a.id, busy.id, silent.id]]).then(() => {}));
  await setAgentStatus(s.c.pool, busy.id, 'available');
  await setAgentStatus(s.c.pool, silent.id, 'available');
  const console = await loggedIn('xfc');
  await console.go('/agent/state', { headers: { accept: 'application/json' } });
  for (const [target, leg] of [[busy, 2], [silent, 3]] as const) {
    const sent = await console.api('/agent/call/transfer', { attemptId: att.id, target: target.id });
    t.is(sent.status, 202, sent.text);
    if (target === silent) {
      // While the target rings the visitor hears music and their status says On hold.
      t.is((await waitForStatus(s.base, r.json, (j) => j.stage === 'on_hold', 5000)).stage, 'on_hold');
      // The stored state is what the status reads; the music follows through Asterisk a moment later.
      await until('the visitor hears music', async () => legs(att.id).find((c) => c.id === `bk-v-${att.id}`)?.moh === true, 5000);
      t.true(legs(att.id).find((c) => c.id === `bk-v-${att.id}`)?.moh);
      t.is((await agentRow(silent.id)).reserved_attempt, att.id, 'the target is reserved while rung');
    }
    await until(`the transfer to ${target.name} over`, async () => {
      const [tr] = (await s.c.pool.query(`SELECT count(*)::int AS n FROM attempt_transitions WHERE attempt_id = $1 AND from_state = 'transferring'`, [att.id])).rows;
      return tr.n === leg - 1;
    }, 15000);
    await until('the visitor back with the first agent', async () => {
      const l = legs(att.id);
      const v = l.find((c) => c.id === `bk-v-${att.id}`);
      return l.length === 2 && v && !v.moh && !v.muted.in && l.some((c) => c.id === `bk-c-${att.id}`);
    });
    const x = await attemptOf(r.json.id);
    t.is(x.state, 'connected');
    t.is(x.callee_endpoint, 'PJSIP/xfc');
    const first = await until('the hold cleared', async () => { const f = await agentRow(a.id); return !f.call_held && f; });
    t.is(first.reserved_request, r.json.id, 'the first agent still holds the call');
    const tgt = await agentRow(target.id);
    t.is(tgt.reserved_attempt, null, 'the target is free again');
    t.is(tgt.reserved_request, null);
    t.is((await waitForStatus(s.base, r.json, (j) => j.stage === 'connected', 5000)).stage, 'connected');
  }
  s.sim.farEndHangup(`bk-v-${att.id}`);
  t.is((await waitForStatus(s.base, r.json, (j) => FINAL.has(j.status), 10000)).status, 'completed');
  t.deepEqual((await listOffers(s.c.pool, r.json.id)).map((o) => [o.agentId, o.outcome]), [[a.id, 'connected']]);
  t.is((await agentRow(a.id)).status, 'wrap_up');
});

test.serial('transfer to a department\'s verified phone: the phone joins the bridge with the visitor and the agent goes to wrap-up; an unverified one is refused', async (t) => {
  const unverified = await insertDepartment(s.c.pool, { subscriberId: demoId, name: 'Billing', phoneE164: '+12025550188', verified: false, position: 3 });
  const { rows: [sales] } = await s.c.pool.query(`SELECT id FROM departments WHERE subscriber_id = $1 AND name = 'Sales'`, [demoId]);
  const a = await agent('xfd', 'PJSIP/xfd');
  await setAgentStatus(s.c.pool, a.id, 'available');
  const r = await request(s.base, '+1 202 555 0163');
  t.is(r.status, 202, r.text);
  const att = await until('connected', async () => { const x = await attemptOf(r.json.id); return x?.state === 'connected' && x; });
  const console = await loggedIn('xfd');
  const snap = (await console.go('/agent/state', { headers: { accept: 'application/json' } })).json;
  t.false(snap.transferTargets.some((x: any) => x.id === unverified.id), 'a department whose phone is not verified is not offered');
  t.is((await console.api('/agent/call/transfer', { attemptId: att.id, target: unverified.id })).status, 409);
  const sent = await console.api('/agent/call/transfer', { attemptId: att.id, target: sales.id });
  t.is(sent.status, 202, sent.text);
  const moved = await until('the phone taking over', async () => { const x = await attemptOf(r.json.id); return x.callee_endpoint === 'PJSIP/12025550122@carrier' && x; });
  t.is(moved.state, 'connected');
  const up = await until('the agent leg gone', async () => { const l = legs(att.id); return l.length === 2 && !l.some((c) => c.id === `bk-c-${att.id}`) && l; });
  t.deepEqual(up.map((c) => c.id).sort(), [`bk-c-${att.id}-2`, `bk-v-${att.id}`]);
  t.true(up.every((c) => c.bridge_id === `bk-b-${att.id}`));
  t.true(await until('the visitor off hold', async () => legs(att.id).find((c) => c.id === `bk-v-${att.id}`)?.moh === false));
  const first = await until('the agent released', async () => { const x = await agentRow(a.id); return x.reserved_request === null && x; });
  t.is(first.status, 'wrap_up');
  s.sim.farEndHangup(`bk-v-${att.id}`);
  t.is((await waitForStatus(s.base, r.json, (j) => FINAL.has(j.status), 10000)).status, 'completed');
  t.deepEqual((await listOffers(s.c.pool, r.json.id)).map((o) => [o.agentId, o.outcome]), [[a.id, 'connected']]);
  t.is((await attemptOf(r.json.id)).outcome, 'answered');
});
