import test from 'ava';
import { webClient } from '../helpers/web-client.ts';
import { startStack, request, waitForStatus, FINAL, type Stack } from '../helpers/stack.ts';
import { insertAgent, setAgentStatus, listOffers } from '../../src/agents/agent.repository.ts';
import { addAgent, agentClient, demoAnsweredByAgents } from '../helpers/agents.ts';
import { hashPassword } from '../../src/auth/password.ts';
import { insertSubscriber } from '../../src/subscribers/subscriber.repository.ts';
import { startWorker } from '../../src/main/worker.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { createContainer } from '../../src/main/container.ts';
import { createLogger } from '../../src/platform/logger.ts';

let s: Stack;
let demoId: string;


const loggedIn = (login: string, password: string) => agentClient(s.base, login, password);

test.before(async () => {
  s = await startStack({ label: 'agentconsole', env: { RATE_LIMITS_ENABLED: 'false', AGENT_WRAP_UP_SEC: '0', AGENT_WAIT_POLL_MS: '100', AGENT_OFFER_TIMEOUT_SEC: '30', MAX_CALL_SEC: '5' } });
  demoId = await demoAnsweredByAgents(s, { waitSec: 60 });
  for (const login of ['carol', 'dave']) await addAgent(s, { login, password: 'long enough password', subscriberIds: [demoId] });
});
test.after.always(async () => { await s?.close(); });

test.serial('the console needs a login; wrong passwords are refused; state changes need the CSRF token', async (t) => {
  const anon = webClient(s.base);
  const r = await anon.go('/agent', { headers: { accept: 'text/html' } });
  t.is(r.status, 302);
  t.regex(r.location ?? '', /^\/agent\/login\?next=/);
  t.is((await anon.go('/agent/state', { headers: { accept: 'application/json' } })).status, 401);
  await anon.go('/agent/login');
  const bad = await anon.form('/agent/login', { login: 'carol', password: 'not the password' });
  t.is(bad.status, 401);
  t.regex(bad.text, /Wrong login or password/);
  const c = await loggedIn('carol', 'long enough password');
  const noToken = await c.go('/agent/status', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 'available' }) });
  t.is(noToken.status, 403);
  const ok = await c.api('/agent/status', { status: 'available' });
  t.is(ok.status, 200);
  t.is((await s.c.pool.query(`SELECT status FROM agents WHERE login = 'carol'`)).rows[0].status, 'available');
  await c.api('/agent/status', { status: 'away' });
});

test.serial('offer shows the visitor and earlier requests of the same number from own subscribers only; decline passes it on', async (t) => {
  // An earlier request from the same number to another subscriber the agents do not represent: never shown.
  const other = await insertSubscriber(s.c.pool, { slug: 'other', name: 'Other Co', country: 'US', timezone: 'UTC', phoneE164: '+12025550188', phoneVerified: true });
  await s.c.pool.query(
    `INSERT INTO callback_requests (subscriber_id, phone_e164, status, token_hash, message) VALUES ($1, '+12025550171', 'completed', '\\x00', 'secret of other'), ($2, '+12025550171', 'completed', '\\x00', 'earlier with demo')`,
    [other.id, demoId]);
  const carol = await loggedIn('carol', 'long enough password');
  const dave = await loggedIn('dave', 'long enough password');
  await carol.api('/agent/status', { status: 'available' });
  await s.c.pool.query(`UPDATE agents SET idle_since = now() - interval '1 hour' WHERE login = 'carol'`);
  await dave.api('/agent/status', { status: 'available' });
  const r = await request(s.base, '+1 202 555 0171', { name: 'Olga', message: 'Need help', pageUrl: 'http://localhost/help' });
  t.is(r.status, 202, r.text);
  let st: any;
  for (let i = 0; i < 100; i++) {
    st = (await carol.go('/agent/state', { headers: { accept: 'application/json' } })).json;
    if (st.offer) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  t.is(st.offer.requestId, r.json.id);
  t.is(st.offer.callState, 'offered');
  t.is(st.offer.request.visitorName, 'Olga');
  t.is(st.offer.request.pageUrl, 'http://localhost/help');
  t.deepEqual(st.offer.earlier.map((e: any) => e.message), ['earlier with demo']);
  t.false(JSON.stringify(st).includes('secret of other'));
  // Dave cannot steer Carol's call.
  t.is((await dave.api('/agent/call/accept', { attemptId: st.offer.attemptId })).status, 409);
  t.is((await carol.api('/agent/call/decline', { attemptId: st.offer.attemptId })).status, 202);
  const fin = await waitForStatus(s.base, r.json, (j) => FINAL.has(j.status) || j.attempts?.length >= 2, 10000);
  t.truthy(fin);
  const offers = await listOffers(s.c.pool, r.json.id);
  t.is(offers[0]!.outcome, 'declined');
  t.is(offers[1]?.agentId, (await s.c.pool.query(`SELECT id FROM agents WHERE login = 'dave'`)).rows[0].id);
  // Nothing rang at Carol's phone.
  t.is(s.sim.originates().filter((o: any) => o.endpoint === 'PJSIP/carol').length, 0);
  // Dave's offer waits for Accept; accept it and let it finish.
  let ds: any;
  for (let i = 0; i < 100; i++) {
    ds = (await dave.go('/agent/state', { headers: { accept: 'application/json' } })).json;
    if (ds.offer) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  t.is((await dave.api('/agent/call/accept', { attemptId: ds.offer.attemptId })).status, 202);
  const done = await waitForStatus(s.base, r.json, (j) => FINAL.has(j.status), 15000);
  t.is(done.status, 'completed', JSON.stringify(done));
  // Disposition: only for a call of one's own.
  t.is((await carol.api(`/agent/requests/${r.json.id}/disposition`, { disposition: 'resolved', notes: 'x' })).status, 200, 'carol was offered it, so she may note it');
  const stranger = await insertAgent(s.c.pool, { name: 'eve', login: 'eve', endpoint: 'PJSIP/eve', passwordHash: await hashPassword('long enough password') });
  const eve = await loggedIn('eve', 'long enough password');
  t.is((await eve.api(`/agent/requests/${r.json.id}/disposition`, { disposition: 'sale', notes: 'hijack' })).status, 404);
  t.is((await s.c.pool.query(`SELECT notes FROM request_dispositions WHERE request_id = $1`, [r.json.id])).rows[0].notes, 'x');
  await setAgentStatus(s.c.pool, stranger.id, 'away');
});

test.serial('the SSE stream tells the console about offers', async (t) => {
  const dave = await loggedIn('dave', 'long enough password');
  await s.c.pool.query(`UPDATE agents SET status = 'away' WHERE login <> 'dave'`);
  await dave.api('/agent/status', { status: 'available' });
  const ac = new AbortController();
  const res = await fetch(s.base + '/agent/events', { headers: { cookie: dave.cookie() }, signal: ac.signal });
  t.is(res.headers.get('content-type'), 'text/event-stream');
  const reader = res.body!.getReader();
  const r = await request(s.base, '+1 202 555 0172');
  const deadline = Date.now() + 10000;
  let buf = '';
  while (Date.now() < deadline && !/event: offer/.test(buf)) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += new TextDecoder().decode(value);
  }
  ac.abort();
  t.regex(buf, /event: offer/);
  t.true(buf.includes(r.json.id));
});

test.serial('a wrap-up ends on time by itself across a worker restart: readers see it over when its stored end has passed, and the next worker frees it in the database', async (t) => {
  const carol = await loggedIn('carol', 'long enough password');
  await s.worker!.stop(0);
  const ids = Object.fromEntries((await s.c.pool.query(`SELECT login, id FROM agents WHERE login IN ('carol', 'dave')`)).rows.map((r) => [r.login, r.id]));
  await s.c.pool.query(`UPDATE agents SET wrap_up_sec = 1 WHERE login IN ('carol', 'dave')`);
  await setAgentStatus(s.c.pool, ids.carol, 'wrap_up');
  await setAgentStatus(s.c.pool, ids.dave, 'wrap_up');
  const before = (await carol.go('/agent/state', { headers: { accept: 'application/json' } })).json;
  t.is(before.phase, 'wrap_up');
  t.truthy(before.agent.wrapUpUntil);
  // No worker runs while the wrap-ups end: whoever reads the agent's state counts a past end as available.
  await new Promise((r) => setTimeout(r, 1300));
  const { rows: [stale] } = await s.c.pool.query(`SELECT status FROM agents WHERE id = $1`, [ids.dave]);
  t.is(stale.status, 'wrap_up', 'nothing has freed dave yet');
  const after = (await carol.go('/agent/state', { headers: { accept: 'application/json' } })).json;
  t.is(after.phase, 'available');
  t.is(after.agent.status, 'available');
  t.is(after.agent.wrapUpUntil, null);
  // A worker started afterwards frees dave, whose console nobody reads, within its one-second pass.
  // A new worker process (its own container, as after a restart).
  const c2 = createContainer(loadConfig(s.env), { log: createLogger('silent') });
  const w = await startWorker(c2);
  t.teardown(async () => { await w.stop(0).catch(() => {}); await c2.close(); });
  const deadline = Date.now() + 5000;
  let row = stale;
  while (Date.now() < deadline && row.status !== 'available') {
    await new Promise((r) => setTimeout(r, 100));
    row = (await s.c.pool.query(`SELECT status, wrap_up_until FROM agents WHERE id = $1`, [ids.dave])).rows[0];
  }
  t.deepEqual(row, { status: 'available', wrap_up_until: null });
});
