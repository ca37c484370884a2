import test from 'ava';
import { startStack, request, waitForStatus, FINAL, type Stack } from '../helpers/stack.ts';
import { listTransitions } from '../../src/calls/attempt.repository.ts';
import { setAgentStatus, listOffers } from '../../src/agents/agent.repository.ts';
import { addAgent, demoAnsweredByAgents } from '../helpers/agents.ts';
import { until } from '../helpers/wait-for.ts';

let s: Stack;
let demoId: string;

test.before(async () => {
  s = await startStack({ label: 'agentflows', env: { MAX_CALL_SEC: '5', AGENT_WRAP_UP_SEC: '0', AGENT_WAIT_POLL_MS: '100', RING_TIMEOUT: '5' } });
  demoId = await demoAnsweredByAgents(s, { waitSec: 30 });
});
test.after.always(async () => { await s?.close(); });

const agent = (login: string, endpoint: string, extra: { autoAnswer?: boolean; wrapUpSec?: number } = {}) =>
  addAgent(s, { login, endpoint, autoAnswer: extra.autoAnswer ?? true, wrapUpSec: extra.wrapUpSec, subscriberIds: [demoId] });

async function setMode(mode: 'agent_first' | 'customer_first') {
  await s.c.pool.query(`UPDATE subscribers SET settings = jsonb_set(settings, '{agents,mode}', to_jsonb($2::text)) WHERE id = $1`, [demoId, mode]);
  s.c.subscribers.invalidate();
}

async function attemptsOf(requestId: string) {
  const { rows } = await s.c.pool.query(`SELECT id, n, outcome, callee_endpoint, state FROM call_attempts WHERE request_id = $1 ORDER BY n`, [requestId]);
  return rows;
}

test.serial('agent-first: agent rung first, then the visitor; bridged; agent released into wrap-up', async (t) => {
  // A wrap-up of its own long enough to be seen: the stack's is 0 s, which the next wrap-up pass (every second) ends.
  const a = await agent('af1', 'PJSIP/afone', { wrapUpSec: 60 });
  t.teardown(async () => { await s.c.pool.query(`UPDATE agents SET active = false WHERE id = $1`, [a.id]); });
  await setAgentStatus(s.c.pool, a.id, 'available');
  await setMode('agent_first');
  s.sim.clearOriginates();
  const r = await request(s.base, '+1 202 555 0143');
  t.is(r.status, 202, r.text);
  const st = await waitForStatus(s.base, r.json, (j) => FINAL.has(j.status), 20000);
  t.is(st.status, 'completed');
  const [att] = await attemptsOf(r.json.id);
  t.is(att.callee_endpoint, 'PJSIP/afone');
  const path = (await listTransitions(s.c.pool, att.id)).map((x) => x.to);
  t.deepEqual(path, ['offered', 'agent_ringing', 'visitor_ringing', 'connected', 'ended']);
  // The agent's phone was originated before the visitor's.
  const legs = s.sim.originates().map((o: any) => o.endpoint);
  t.true(legs.indexOf('PJSIP/afone') >= 0 && legs.indexOf('PJSIP/afone') < legs.indexOf('PJSIP/12025550143@carrier'));
  const offers = await listOffers(s.c.pool, r.json.id);
  t.deepEqual(offers.map((o) => [o.agentId, o.outcome]), [[a.id, 'connected']]);
  const { rows: [ag] } = await s.c.pool.query(`SELECT reserved_request, status FROM agents WHERE id = $1`, [a.id]);
  t.is(ag.reserved_request, null);
  t.is(ag.status, 'wrap_up');
});

test.serial('customer-first: visitor first, then the agent with a whisper naming the subscriber; bridged', async (t) => {
  const a = await agent('cf1', 'PJSIP/cfone');
  t.teardown(async () => { await s.c.pool.query(`UPDATE agents SET active = false WHERE id = $1`, [a.id]); });
  await setAgentStatus(s.c.pool, a.id, 'available');
  await setMode('customer_first');
  s.sim.clearOriginates();
  const r = await request(s.base, '+1 202 555 0144');
  const st = await waitForStatus(s.base, r.json, (j) => FINAL.has(j.status), 20000);
  t.is(st.status, 'completed');
  const [att] = await attemptsOf(r.json.id);
  t.is(att.callee_endpoint, 'PJSIP/cfone');
  const path = (await listTransitions(s.c.pool, att.id)).map((x) => x.to);
  t.deepEqual(path, ['visitor_ringing', 'visitor_confirming', 'callee_ringing', 'callee_whisper', 'connected', 'ended']);
  const legs = s.sim.originates().map((o: any) => o.endpoint);
  t.true(legs.indexOf('PJSIP/12025550144@carrier') < legs.indexOf('PJSIP/cfone'));
  const offers = await listOffers(s.c.pool, r.json.id);
  t.deepEqual(offers.map((o) => [o.agentId, o.mode, o.outcome]), [[a.id, 'customer_first', 'connected']]);
});

test.serial('agent busy (agent2) and agent not answering (agent3) are skipped; the next agent takes the call', async (t) => {
  await setMode('agent_first');
  // Longest idle first: agent2, then agent3, then agent1.
  const busy = await agent('busy2', 'PJSIP/agent2');
  t.teardown(async () => { await s.c.pool.query(`UPDATE agents SET active = false WHERE id = $1`, [busy.id]); });
  await setAgentStatus(s.c.pool, busy.id, 'available');
  const silent = await agent('silent3', 'PJSIP/agent3');
  t.teardown(async () => { await s.c.pool.query(`UPDATE agents SET active = false WHERE id = $1`, [silent.id]); });
  await setAgentStatus(s.c.pool, silent.id, 'available');
  const good = await agent('good1', 'PJSIP/good1');
  t.teardown(async () => { await s.c.pool.query(`UPDATE agents SET active = false WHERE id = $1`, [good.id]); });
  await setAgentStatus(s.c.pool, good.id, 'available');
  await s.c.pool.query(`UPDATE agents SET idle_since = now() - make_interval(secs => CASE login WHEN 'busy2' THEN 30 WHEN 'silent3' THEN 20 ELSE 10 END) WHERE login IN ('busy2', 'silent3', 'good1')`);
  const r = await request(s.base, '+1 202 555 0145');
  t.is(r.status, 202, r.text);
  const st = await waitForStatus(s.base, r.json, (j) => FINAL.has(j.status), 30000);
  t.is(st.status, 'completed');
  const offers = await listOffers(s.c.pool, r.json.id);
  t.deepEqual(offers.map((o) => [o.agentId, o.outcome]), [[busy.id, 'busy'], [silent.id, 'no_answer'], [good.id, 'connected']]);
  const attempts = await attemptsOf(r.json.id);
  t.deepEqual(attempts.map((x) => x.outcome), ['callee_unanswered', 'callee_unanswered', 'answered']);
  // A missed offer sends the agent away (not rung again and again); a busy phone does not.
  const { rows } = await s.c.pool.query(`SELECT login, status, reserved_request FROM agents WHERE login IN ('busy2', 'silent3') ORDER BY login`);
  t.deepEqual(rows.map((x) => [x.login, x.status, x.reserved_request]), [['busy2', 'available', null], ['silent3', 'away', null]]);
});

test.serial('no agent available: the request waits in line, then the first agent to become available takes it', async (t) => {
  await setMode('agent_first');
  const late = await agent('late1', 'PJSIP/lateone');
  t.teardown(async () => { await s.c.pool.query(`UPDATE agents SET active = false WHERE id = $1`, [late.id]); });
  const r = await request(s.base, '+1 202 555 0152');
  // The worker puts the request in line once it has taken its job (later on a loaded machine).
  await until(async () => (await s.c.pool.query(`SELECT 1 FROM agent_waits WHERE request_id = $1`, [r.json.id])).rowCount === 1, 10_000);
  const { rows: waits } = await s.c.pool.query(`SELECT request_id FROM agent_waits`);
  t.deepEqual(waits.map((w) => w.request_id), [r.json.id]);
  t.is((await attemptsOf(r.json.id)).length, 0);
  await setAgentStatus(s.c.pool, late.id, 'available');
  const st = await waitForStatus(s.base, r.json, (j) => FINAL.has(j.status), 20000);
  t.is(st.status, 'completed');
  const offers = await listOffers(s.c.pool, r.json.id);
  t.deepEqual(offers.map((o) => [o.agentId, o.outcome]), [[late.id, 'connected']]);
  t.is((await s.c.pool.query(`SELECT 1 FROM agent_waits`)).rowCount, 0);
});

test.serial('waiting too long falls back to the subscriber phone when the subscriber chose so', async (t) => {
  await s.c.pool.query(`UPDATE subscribers SET settings = jsonb_set(jsonb_set(settings, '{agents,waitSec}', '1'), '{agents,fallback}', '"phone"') WHERE id = $1`, [demoId]);
  s.c.subscribers.invalidate();
  const r = await request(s.base, '+1 202 555 0153');
  const st = await waitForStatus(s.base, r.json, (j) => FINAL.has(j.status), 20000);
  t.is(st.status, 'completed');
  const [att] = await attemptsOf(r.json.id);
  t.is(att.callee_endpoint, 'PJSIP/12025550111@carrier');
  t.deepEqual(await listOffers(s.c.pool, r.json.id), []);
  await s.c.pool.query(`UPDATE subscribers SET settings = jsonb_set(jsonb_set(settings, '{agents,waitSec}', '30'), '{agents,fallback}', '"reschedule"') WHERE id = $1`, [demoId]);
  s.c.subscribers.invalidate();
});

test.serial('device state from the simulator AMI removes an unreachable agent and restores it', async (t) => {
  await setMode('agent_first');
  const a = await agent('dev1', 'PJSIP/devone');
  t.teardown(async () => { await s.c.pool.query(`UPDATE agents SET active = false WHERE id = $1`, [a.id]); });
  await setAgentStatus(s.c.pool, a.id, 'available');
  s.sim.setEndpoint('devone', { reachable: false });
  const stateOf = async () => (await s.c.pool.query(`SELECT device_state FROM agents WHERE id = $1`, [a.id])).rows[0].device_state;
  for (let i = 0; i < 50 && (await stateOf()) !== 'UNAVAILABLE'; i++) await new Promise((res) => setTimeout(res, 50));
  t.is(await stateOf(), 'UNAVAILABLE');
  const r = await request(s.base, '+1 202 555 0154');
  await new Promise((res) => setTimeout(res, 700));
  t.is((await attemptsOf(r.json.id)).length, 0, 'an unreachable agent is not offered the call');
  s.sim.setEndpoint('devone', { reachable: true });
  const st = await waitForStatus(s.base, r.json, (j) => FINAL.has(j.status), 20000);
  t.is(st.status, 'completed');
  t.is((await attemptsOf(r.json.id))[0].callee_endpoint, 'PJSIP/devone');
  t.not(await stateOf(), 'UNAVAILABLE');
});

test.serial('customer-first: a busy agent is replaced by the next one while the visitor holds (one attempt)', async (t) => {
  await setMode('customer_first');
  const busy = await agent('cfbusy', 'PJSIP/agent2');
  t.teardown(async () => { await s.c.pool.query(`UPDATE agents SET active = false WHERE id = $1`, [busy.id]); });
  await setAgentStatus(s.c.pool, busy.id, 'available');
  const good = await agent('cfgood', 'PJSIP/cfgood');
  t.teardown(async () => { await s.c.pool.query(`UPDATE agents SET active = false WHERE id = $1`, [good.id]); });
  await setAgentStatus(s.c.pool, good.id, 'available');
  await s.c.pool.query(`UPDATE agents SET idle_since = now() - make_interval(secs => CASE login WHEN 'cfbusy' THEN 30 ELSE 10 END) WHERE login IN ('cfbusy', 'cfgood')`);
  const r = await request(s.base, '+1 202 555 0155');
  t.is(r.status, 202, r.text);
  const st = await waitForStatus(s.base, r.json, (j) => FINAL.has(j.status), 20000);
  t.is(st.status, 'completed');
  const attempts = await attemptsOf(r.json.id);
  t.is(attempts.length, 1);
  t.is(attempts[0].outcome, 'answered');
  const path = (await listTransitions(s.c.pool, attempts[0].id)).map((x) => `${x.event}>${x.to}`);
  t.true(path.includes('callee.replaced>callee_ringing'), path.join(' '));
  t.is(path.at(-2), 'prompt.finished>connected');
  const offers = await listOffers(s.c.pool, r.json.id);
  t.deepEqual(offers.map((o) => [o.agentId, o.outcome]), [[busy.id, 'busy'], [good.id, 'connected']]);
  // The visitor was dialed once; both agents' phones were rung on the same attempt.
  t.is(s.sim.originates().filter((o: any) => o.endpoint === 'PJSIP/12025550155@carrier').length, 1);
});

test.serial('agent-first: the ARI socket drops while the visitor rings and the visitor answers in the gap: Asterisk hangs the answered leg up (no app socket), the attempt fails and the agent is released', async (t) => {
  // A real Asterisk hands an answered channel only to an app with a socket; without one it hangs the channel up
  // (cause 0) and nothing is replayed on reconnect. The worker learns it from the channel being gone.
  const a = await agent('afdrop1', 'PJSIP/afdropone');
  t.teardown(async () => { await s.c.pool.query(`UPDATE agents SET active = false WHERE id = $1`, [a.id]); });
  await setAgentStatus(s.c.pool, a.id, 'available');
  await setMode('agent_first');
  s.sim.setRules([{ pattern: '12025550163$', behavior: { kind: 'answer', afterMs: 600, hangupAfterMs: 20000 } }]);
  const r = await request(s.base, '+1 202 555 0163');
  t.is(r.status, 202, r.text);
  await until(() => s.sim.originates({ number: '12025550163' }).length > 0, 10000, 10);
  s.sim.dropWebSockets(); // the answer (30 ms later at this time scale) happens while no socket is open
  const st = await waitForStatus(s.base, r.json, (j) => FINAL.has(j.status), 20000);
  t.is(st.status, 'failed', 'one attempt allowed here: the lost answer is not retried');
  const [att] = await attemptsOf(r.json.id);
  t.is(att.outcome, 'failed');
  const transitions = await listTransitions(s.c.pool, att.id);
  t.false(transitions.some((x) => x.to === 'connected'), 'never connected');
  t.is(s.sim.originates({ number: '12025550163' }).length, 1, 'the visitor was dialed once');
  t.deepEqual(s.sim.channels().filter((c: any) => c.id.includes(att.id)), [], 'the agent leg was hung up too');
  const { rows: [ag] } = await s.c.pool.query(`SELECT reserved_request FROM agents WHERE id = $1`, [a.id]);
  t.is(ag.reserved_request, null);
  s.sim.resetRules();
});

test.serial('agent-first: the ARI socket drops and the ringing visitor hangs up in the gap: the attempt ends (cause unknown), the agent is released', async (t) => {
  const a = await agent('afdrop2', 'PJSIP/afdroptwo');
  t.teardown(async () => { await s.c.pool.query(`UPDATE agents SET active = false WHERE id = $1`, [a.id]); });
  await setAgentStatus(s.c.pool, a.id, 'available');
  await setMode('agent_first');
  s.sim.setRules([{ pattern: '12025550164$', behavior: { kind: 'busy', afterMs: 600 } }]);
  const r = await request(s.base, '+1 202 555 0164');
  t.is(r.status, 202, r.text);
  await until(() => s.sim.originates({ number: '12025550164' }).length > 0, 10000, 10);
  s.sim.dropWebSockets(); // the busy hang-up of the visitor's leg is never seen as an event
  const st = await waitForStatus(s.base, r.json, (j) => FINAL.has(j.status), 20000);
  t.true(FINAL.has(st.status), `final, not stuck in ${st.status}`);
  const [att] = await attemptsOf(r.json.id);
  t.is(att.outcome, 'failed');
  const transitions = await listTransitions(s.c.pool, att.id);
  t.is(transitions.at(-1)!.event, 'visitor.ended');
  t.deepEqual(s.sim.channels().filter((c: any) => c.id.includes(att.id)), [], 'the agent leg was hung up too');
  const { rows: [ag] } = await s.c.pool.query(`SELECT reserved_request FROM agents WHERE id = $1`, [a.id]);
  t.is(ag.reserved_request, null);
  s.sim.resetRules();
});
