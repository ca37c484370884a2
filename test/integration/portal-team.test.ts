import test from 'ava';
import { startStack, request, type Stack } from '../helpers/stack.ts';
import { insertAgent, setAssignments } from '../../src/agents/agent.repository.ts';
import { insertDepartment } from '../../src/subscribers/subscriber.repository.ts';
import { FormClient } from '../helpers/portal.ts';
import { verifiedSignUp } from '../helpers/subscribers.ts';

let s: Stack;
interface Tenant { client: FormClient; id: string; slug: string }

const tenant = (label: string): Promise<Tenant> => verifiedSignUp(s, { name: `Team ${label} ${Date.now()}` });

async function agentLogin(login: string, password: string): Promise<number> {
  const c = new FormClient(s.base);
  await c.get('/agent/login');
  return (await c.post('/agent/login', { login, password })).status;
}

const agentRow = async (login: string) =>
  (await s.c.pool.query(`SELECT id, name, endpoint, active, password_hash, owner_subscriber_id FROM agents WHERE login = $1`, [login])).rows[0];
const subscribersOf = async (agentId: string) =>
  (await s.c.pool.query(`SELECT subscriber_id FROM agent_subscribers WHERE agent_id = $1`, [agentId])).rows.map((r) => r.subscriber_id);
const departmentsOf = async (agentId: string) =>
  (await s.c.pool.query(`SELECT department_id FROM agent_departments WHERE agent_id = $1 ORDER BY department_id`, [agentId])).rows.map((r) => r.department_id);

let A: Tenant;
let B: Tenant;
test.before(async () => {
  s = await startStack({ label: 'team', worker: false, env: { TRUST_PROXY: 'true' } });
  A = await tenant('A');
  B = await tenant('B');
});
test.after.always(async () => { await s?.close(); });

test.serial('a subscriber creates its own agent (assigned to it only), disables, enables and resets its password', async (t) => {
  const nav = await A.client.get('/portal');
  t.regex(nav.text, /href="\/portal\/team"/, 'Team is in the one portal navigation');
  const page = await A.client.get('/portal/team');
  t.is(page.status, 200);
  t.regex(page.text, /No agents yet/);

  // The operator's validation: no endpoint (the agent answers on its own softphone), a strong password, a free login;
  // CSRF on every form.
  t.is((await A.client.post('/portal/team', { name: 'Eve', login: 'eve-a', password: 'eve password 1', endpoint: 'Local/900@default' })).status, 400);
  t.is((await A.client.post('/portal/team', { name: 'Eve', login: 'eve-a', password: 'short' })).status, 400);
  t.is((await A.client.post('/portal/team', { name: 'Eve', login: 'eve-a', password: 'eve password 1' }, { csrf: null })).status, 403);
  t.is(await agentRow('eve-a'), undefined);

  const created = await A.client.post('/portal/team', { name: 'Eve <i>', login: 'Eve-A', password: 'eve password 1', languages: 'en, fr' });
  t.is(created.status, 303, created.text.slice(0, 300));
  const eve = await agentRow('eve-a');
  t.like(eve, { name: 'Eve <i>', endpoint: `PJSIP/webagent-${eve.id.replace(/-/g, '').slice(0, 12)}`, active: true, owner_subscriber_id: A.id });
  t.deepEqual(await subscribersOf(eve.id), [A.id], 'assigned to its subscriber only');
  t.is(created.location, `/portal/team/${eve.id}`);
  t.is((await A.client.post('/portal/team', { name: 'Dup', login: 'eve-a', password: 'eve password 1' })).status, 409);
  const list = await A.client.get('/portal/team');
  t.regex(list.text, /Eve &lt;i&gt;/, 'names are escaped');
  t.is(await agentLogin('eve-a', 'eve password 1'), 302);

  await A.client.get(`/portal/team/${eve.id}`);
  t.is((await A.client.post(`/portal/team/${eve.id}/active`, { active: 'off' })).status, 303);
  t.false((await agentRow('eve-a')).active);
  t.is(await agentLogin('eve-a', 'eve password 1'), 401, 'a disabled agent cannot log in');
  t.is((await A.client.post(`/portal/team/${eve.id}/active`, { active: 'on' })).status, 303);
  t.true((await agentRow('eve-a')).active);

  t.is((await A.client.post(`/portal/team/${eve.id}/password`, { password: 'tiny' })).status, 400);
  t.is((await A.client.post(`/portal/team/${eve.id}/password`, { password: 'a brand new secret' })).status, 303);
  t.is(await agentLogin('eve-a', 'eve password 1'), 401, 'the old password no longer works');
  t.is(await agentLogin('eve-a', 'a brand new secret'), 302);
});

test.serial("a subscriber assigns its agents to its own departments only; another subscriber's ids are 404 and change nothing", async (t) => {
  const sales = await insertDepartment(s.c.pool, { subscriberId: A.id, name: 'Sales', phoneE164: null, answeredBy: 'agents', position: 1 });
  const support = await insertDepartment(s.c.pool, { subscriberId: A.id, name: 'Support', phoneE164: null, answeredBy: 'agents', position: 2 });
  const foreign = await insertDepartment(s.c.pool, { subscriberId: B.id, name: 'Theirs', phoneE164: null, answeredBy: 'agents', position: 1 });
  await A.client.get('/portal/team');
  await A.client.post('/portal/team', { name: 'Finn', login: 'finn-a', password: 'finn password 1' });
  const finn = await agentRow('finn-a');
  const page = await A.client.get(`/portal/team/${finn.id}`);
  t.regex(page.text, /Sales/);
  t.notRegex(page.text, /Theirs/);
  const assign = await A.client.send('POST', `/portal/team/${finn.id}/departments`, { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    new URLSearchParams([['_csrf', A.client.csrf], ['departmentIds', sales.id], ['departmentIds', foreign.id], ['departmentIds', 'nonsense']]).toString());
  t.is(assign.status, 303, assign.text.slice(0, 200));
  t.deepEqual(await departmentsOf(finn.id), [sales.id], "another subscriber's department is ignored");
  t.regex((await A.client.get('/portal/team')).text, /<td>Sales<\/td>/);
  t.is((await A.client.post(`/portal/team/${finn.id}/departments`, { departmentIds: support.id })).status, 303);
  t.deepEqual(await departmentsOf(finn.id), [support.id]);

  // B with A's agent id: every route is a 404, and the agent is unchanged.
  const before = { row: await agentRow('finn-a'), subs: await subscribersOf(finn.id), deps: await departmentsOf(finn.id) };
  await B.client.get('/portal/team');
  t.notRegex((await B.client.get('/portal/team')).text, /Finn/);
  t.is((await B.client.get(`/portal/team/${finn.id}`)).status, 404);
  t.is((await B.client.post(`/portal/team/${finn.id}/active`, { active: 'off' })).status, 404);
  t.is((await B.client.post(`/portal/team/${finn.id}/password`, { password: 'hijacked password' })).status, 404);
  t.is((await B.client.post(`/portal/team/${finn.id}/departments`, { departmentIds: foreign.id })).status, 404);
  t.is((await B.client.get('/portal/team/not-a-uuid')).status, 404);
  t.deepEqual({ row: await agentRow('finn-a'), subs: await subscribersOf(finn.id), deps: await departmentsOf(finn.id) }, before);
});

test.serial("an operator's pool agent shared with other subscribers is shown read only", async (t) => {
  const pool = await insertAgent(s.c.pool, { name: 'Pooled Paula', login: 'paula-pool', endpoint: 'PJSIP/paula', passwordHash: null });
  await setAssignments(s.c.pool, pool.id, [A.id, B.id], []);
  const before = await agentRow('paula-pool');
  t.regex((await A.client.get('/portal/team')).text, /Pooled Paula[\s\S]*operator/);
  const page = await A.client.get(`/portal/team/${pool.id}`);
  t.is(page.status, 200);
  t.regex(page.text, /id="read-only"/);
  t.regex(page.text, /also answers for other accounts/);
  t.notRegex(page.text, /action="\/portal\/team\/[^"]+\/(active|password)"/);
  t.is((await A.client.post(`/portal/team/${pool.id}/active`, { active: 'off' })).status, 404);
  t.is((await A.client.post(`/portal/team/${pool.id}/password`, { password: 'taken over password' })).status, 404);
  t.is((await A.client.post(`/portal/team/${pool.id}/departments`, { departmentIds: '' })).status, 404);
  t.deepEqual(await agentRow('paula-pool'), before);
  t.deepEqual((await subscribersOf(pool.id)).sort(), [A.id, B.id].sort());
});

test.serial('accept refuses a department that cannot take calls, with a clear 409, until an agent of the team answers it', async (t) => {
  const C = await tenant('C');
  const desk = await insertDepartment(s.c.pool, { subscriberId: C.id, name: 'Desk', phoneE164: null, answeredBy: 'agents', position: 5 });
  await insertDepartment(s.c.pool, { subscriberId: C.id, name: 'Unverified', phoneE164: '+12025550193', verified: false, position: 6 });
  s.c.subscribers.invalidate();
  const at = new Date(Date.now() + 7200_000).toISOString();
  const count = async () => Number((await s.c.pool.query(`SELECT count(*) FROM callback_requests WHERE subscriber_id = $1`, [C.id])).rows[0].count);
  const before = await count();
  for (const department of ['Desk', 'Unverified']) {
    const refused = await request(s.base, '+1 202 555 0176', { subscriber: C.slug, department, scheduledAt: at });
    t.is(refused.status, 409, department);
    t.is(refused.json.error.code, 'department_unavailable');
    t.regex(refused.json.error.message, new RegExp(`"${department}" cannot take calls`));
  }
  t.is(await count(), before, 'nothing stored');

  // C adds an agent on its Team page and gives it Desk: Desk takes calls now.
  await C.client.get('/portal/team');
  t.is((await C.client.post('/portal/team', { name: 'Gus', login: 'gus-c', password: 'gus password 1' })).status, 303);
  const gus = await agentRow('gus-c');
  await C.client.get(`/portal/team/${gus.id}`);
  t.is((await C.client.post(`/portal/team/${gus.id}/departments`, { departmentIds: desk.id })).status, 303);
  const accepted = await request(s.base, '+1 202 555 0176', { subscriber: C.slug, department: 'Desk', scheduledAt: at });
  t.is(accepted.status, 202, accepted.text);
});
