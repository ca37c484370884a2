import test from 'ava';
import { webClient } from '../helpers/web-client.ts';
import { startStack, type Stack } from '../helpers/stack.ts';
import { agentRoutingFrom } from '../../src/agents/routing.ts';

let s: Stack;


test.before(async () => {
  s = await startStack({ label: 'agentadmin', worker: false, env: { ADMIN_EMAIL: 'ops@example.com', ADMIN_PASSWORD: 'operator password 1' } });
});
test.after.always(async () => { await s?.close(); });

test('operator creates an agent, assigns it, and switches a subscriber and a department to agents', async (t) => {
  const anon = webClient(s.base);
  const r0 = await anon.go('/admin/agents', { headers: { accept: 'text/html' } });
  t.is(r0.status, 302);
  t.regex(r0.location ?? '', /^\/admin\/login/);

  const op = webClient(s.base);
  await op.go('/admin/login');
  const login = await op.form('/admin/login', { email: 'ops@example.com', password: 'operator password 1' });
  t.true([302, 303].includes(login.status), login.text.slice(0, 200));
  t.is((await op.go('/admin/agents')).status, 200);

  const created = await op.form('/admin/agents', { name: 'Frank <b>', login: 'Frank', password: 'frank password', endpoint: 'PJSIP/frank', skills: 'billing, french', languages: 'en, fr', wrapUpSec: '45' });
  t.is(created.status, 303, created.text.slice(0, 300));
  const { rows: [agent] } = await s.c.pool.query(`SELECT id, login, endpoint, skills, languages, wrap_up_sec, status, password_hash FROM agents WHERE login = 'frank'`);
  t.like(agent, { login: 'frank', endpoint: 'PJSIP/frank', skills: ['billing', 'french'], languages: ['en', 'fr'], wrap_up_sec: 45, status: 'away' });
  t.regex(agent.password_hash, /^scrypt\$/);
  t.is((await op.form('/admin/agents', { name: 'Dup', login: 'frank', password: 'frank password', endpoint: 'PJSIP/x' })).status, 409);
  t.is((await op.form('/admin/agents', { name: 'Bad', login: 'bad', password: 'short', endpoint: 'PJSIP/x' })).status, 400);
  t.is((await op.form('/admin/agents', { name: 'Bad', login: 'bad2', password: 'long enough pw', endpoint: 'sip:evil;x=1' })).status, 400);

  const { rows: [demo] } = await s.c.pool.query(`SELECT id FROM subscribers WHERE slug = 'demo'`);
  const { rows: depts } = await s.c.pool.query(`SELECT id, name FROM departments WHERE subscriber_id = $1 ORDER BY name`, [demo.id]);
  const sales = depts.find((d) => d.name === 'Sales')!;
  const page = await op.go(`/admin/agents/${agent.id}`);
  t.is(page.status, 200);
  t.true(page.text.includes('Frank &lt;b&gt;'), 'names are escaped');
  t.is((await op.form(`/admin/agents/${agent.id}/assignments`, { subscriberIds: [demo.id], departmentIds: [sales.id, '00000000-0000-0000-0000-000000000000'] })).status, 303);
  const { rows: subs } = await s.c.pool.query(`SELECT subscriber_id FROM agent_subscribers WHERE agent_id = $1`, [agent.id]);
  t.deepEqual(subs.map((x) => x.subscriber_id), [demo.id]);
  const { rows: ad } = await s.c.pool.query(`SELECT department_id FROM agent_departments WHERE agent_id = $1`, [agent.id]);
  t.deepEqual(ad.map((x) => x.department_id), [sales.id]);
  const edit = { name: 'Frank', endpoint: 'PJSIP/frank', active: 'on' };
  t.is((await op.form(`/admin/agents/${agent.id}`, { ...edit, asteriskNode: 'node-b' })).status, 303);
  const nodeOf = async () => (await s.c.pool.query(`SELECT asterisk_node FROM agents WHERE id = $1`, [agent.id])).rows[0].asterisk_node;
  t.is(await nodeOf(), 'node-b', 'the phone is on node-b');
  t.true((await op.go(`/admin/agents/${agent.id}`)).text.includes('value="node-b"'));
  t.is((await op.form(`/admin/agents/${agent.id}`, { ...edit, asteriskNode: 'no spaces' })).status, 400);
  t.is((await op.form(`/admin/agents/${agent.id}`, { ...edit, asteriskNode: '' })).status, 303);
  t.is(await nodeOf(), null, 'empty: any node');

  t.is((await op.form(`/admin/agents/routing/${demo.id}`, { answeredBy: 'agents', mode: 'customer_first', waitSec: '90', fallback: 'phone' })).status, 303);
  const { rows: [settings] } = await s.c.pool.query(`SELECT settings FROM subscribers WHERE id = $1`, [demo.id]);
  t.deepEqual(agentRoutingFrom(settings.settings, null), { byAgents: true, mode: 'customer_first', waitSec: 90, fallback: 'phone' });
  t.is((await op.form(`/admin/agents/departments/${sales.id}`, { answeredBy: 'agents' })).status, 303);
  t.is((await s.c.pool.query(`SELECT answered_by FROM departments WHERE id = $1`, [sales.id])).rows[0].answered_by, 'agents');

  const list = await op.go('/admin/agents');
  t.true(list.text.includes('PJSIP/frank'));
  // An agent session is not an operator session.
  const agentClient = webClient(s.base);
  await agentClient.go('/agent/login');
  t.is((await agentClient.form('/agent/login', { login: 'frank', password: 'frank password' })).status, 302);
  t.is((await agentClient.go('/admin/agents', { headers: { accept: 'text/html' } })).status, 302);
});
