import test from 'ava';
import { startStack, API_AUTH, type Stack } from '../helpers/stack.ts';
import { FormClient, operatorClient } from '../helpers/portal.ts';
import { DEMO_LOGIN } from '../../src/demo/seed.ts';
import { hashPassword } from '../../src/auth/password.ts';
import { insertAgent } from '../../src/agents/agent.repository.ts';
import { parseCsv } from '../helpers/csv-parse.ts';

const ADMIN = { email: 'ops@example.com', password: 'operator-secret-42' };
let s: Stack;
test.before(async () => {
  s = await startStack({ label: 'admin', env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, TRUST_PROXY: 'true', RATE_LIMITS_ENABLED: 'false' } });
  await insertAgent(s.c.pool, { name: 'Alice Agent', login: 'alice', endpoint: 'PJSIP/agent2', passwordHash: await hashPassword('agent-password-1') });
});
test.after.always(async () => { await s?.close(); });

const operator = (): Promise<FormClient> => operatorClient(s.base, ADMIN);

const OPERATOR_PAGES = ['/admin', '/admin/subscribers', '/admin/rates', '/admin/calls', '/admin/calls.csv', '/admin/statements.csv', '/admin/queues', '/admin/queues/api/queues'];

test('without a session every operator page redirects to the operator login', async (t) => {
  const c = new FormClient(s.base);
  for (const path of OPERATOR_PAGES) {
    const r = await c.get(path);
    t.is(r.status, 302, path);
    t.true(r.location!.startsWith(`/admin/login?next=${encodeURIComponent(path)}`), path);
  }
  const post = await c.post('/admin/rates', { prefix: '1', price: '1', minSeconds: '1', incrementSeconds: '1' }, { csrf: null });
  t.true(post.status === 401 || post.status === 403);
  t.is((await s.c.pool.query(`SELECT count(*)::int AS n FROM rates WHERE price_per_min_micros = 1000000`)).rows[0].n, 0);
});

test('a wrong operator password is refused and creates no session', async (t) => {
  const c = new FormClient(s.base);
  await c.get('/admin/login');
  const r = await c.post('/admin/login', { email: ADMIN.email, password: 'not-the-password' });
  t.is(r.status, 401);
  t.regex(r.text, /Wrong email or password/);
  t.is((await c.get('/admin')).status, 302);
});

test.serial('subscribers and agents, logged in, are refused every operator page and action', async (t) => {
  const sub = new FormClient(s.base);
  await sub.get('/login');
  const login = await sub.post('/login', { email: DEMO_LOGIN.email, password: DEMO_LOGIN.password });
  t.is(login.status, 303, 'subscriber logged in');
  t.is((await sub.get('/portal')).status, 200);

  const agent = new FormClient(s.base);
  await agent.get('/agent/login');
  const al = await agent.post('/agent/login', { login: 'alice', password: 'agent-password-1' });
  t.is(al.status, 302, 'agent logged in');
  t.is((await agent.get('/agent')).status, 200);

  const { rows: [demo] } = await s.c.pool.query(`SELECT id FROM subscribers WHERE slug = 'demo'`);
  for (const [who, c] of [['subscriber', sub], ['agent', agent]] as const) {
    for (const path of [...OPERATOR_PAGES, `/admin/subscribers/${demo.id}`]) {
      const r = await c.get(path);
      t.is(r.status, 302, `${who} ${path}`);
      t.regex(r.location ?? '', /^\/admin\/login/, `${who} ${path}`);
    }
    // state-changing routes: refused even with the session's own valid CSRF token
    const suspend = await c.post(`/admin/subscribers/${demo.id}/suspend`, {});
    t.is(suspend.status, 401, `${who} suspend`);
    const rate = await c.post('/admin/rates', { prefix: '99', price: '9', minSeconds: '1', incrementSeconds: '1' });
    t.is(rate.status, 401, `${who} rate`);
  }
  const { rows: [after] } = await s.c.pool.query(`SELECT status FROM subscribers WHERE slug = 'demo'`);
  t.is(after.status, 'active');
  t.is((await s.c.pool.query(`SELECT count(*)::int AS n FROM rates WHERE prefix = '99'`)).rows[0].n, 0);
});

test('the health page shows PostgreSQL, Redis, the worker with its ARI and AMI sessions, and the trunk', async (t) => {
  const c = await operator();
  const r = await c.get('/admin');
  t.is(r.status, 200);
  t.regex(r.text, /PostgreSQL<\/td><td><span class="ok">OK/);
  t.regex(r.text, /Redis<\/td><td><span class="ok">OK/);
  t.regex(r.text, /Asterisk \(ARI\)<\/td><td><span class="ok">OK/);
  t.true(r.text.includes(s.env.WORKER_ID!), 'the worker heartbeat is listed');
  t.regex(r.text, new RegExp(`<td>default</td><td><span class="ok">1</span> of 1</td>\\s*<td><span>${s.env.WORKER_ID} \\(ARI up`), 'the default node with its worker taking jobs');
  t.regex(r.text, /Asterisk nodes<\/td><td><span class="ok">OK/);
  t.regex(r.text, /AMI<\/th>[\s\S]*<span class="ok">up<\/span> 127\.0\.0\.1:\d+/);
  t.regex(r.text, /PJSIP\/carrier<\/td><td>[^<]*<\/td><td>\d+<\/td><td><b>trunk<\/b>/);
});

test('Bull Board is served under /admin/queues to an operator and lists every queue: call-backs, notices, webhooks, verifications', async (t) => {
  const c = await operator();
  const ui = await c.get('/admin/queues');
  t.is(ui.status, 200);
  t.regex(ui.text, /<html/i);
  const api = await c.get('/admin/queues/api/queues', { accept: 'application/json' });
  t.is(api.status, 200);
  t.deepEqual(api.json.queues.map((q: { name: string }) => q.name).sort(), ['callbacks', 'notices', 'verifications', 'webhooks']);
  // Each queue's own page reads its jobs through the web process's connection alone.
  for (const name of ['notices', 'webhooks', 'verifications']) {
    const one = await c.get(`/admin/queues/api/queues?activeQueue=${name}&status=failed&page=1`, { accept: 'application/json' });
    t.is(one.status, 200, name);
  }
});

test.serial('search, suspend and resume a subscriber: the accept path refuses a suspended subscriber at once', async (t) => {
  const c = await operator();
  const list = await c.get('/admin/subscribers?q=o@EXAMPLE.c');
  t.is(list.status, 200);
  const id = /href="\/admin\/subscribers\/([0-9a-f-]{36})">Demo Shop/.exec(list.text)?.[1];
  t.truthy(id, 'found by email fragment');
  t.false((await c.get('/admin/subscribers?q=nobody-like-this')).text.includes('Demo Shop'));
  const byHost = await c.get('/admin/subscribers?q=127.0.0');
  t.true(byHost.text.includes('Demo Shop'), 'found by host');

  await c.get(`/admin/subscribers/${id}`);
  const sus = await c.post(`/admin/subscribers/${id}/suspend`, {});
  t.is(sus.status, 303);
  t.is((await s.c.pool.query(`SELECT status FROM subscribers WHERE id = $1`, [id])).rows[0].status, 'suspended');
  const refused = await fetch(`${s.base}/api/v1/callbacks`, { method: 'POST', headers: { 'content-type': 'application/json', ...API_AUTH }, body: JSON.stringify({ subscriber: 'demo', phone: '+12025550141', consent: true }) });
  t.is(refused.status, 403);
  t.is((await refused.json()).error.code, 'subscriber_suspended');
  const page = await c.get(`/admin/subscribers/${id}`);
  t.regex(page.text, /data-status>suspended</);
  await c.post(`/admin/subscribers/${id}/resume`, {});
  t.is((await s.c.pool.query(`SELECT status FROM subscribers WHERE id = $1`, [id])).rows[0].status, 'active');
});

test('rate table editing: add, replace, refuse bad input, delete; plans are created and assigned', async (t) => {
  const c = await operator();
  await c.get('/admin/rates');
  t.is((await c.post('/admin/rates', { plan: '', prefix: '+44', description: 'UK', price: '0.0234', minSeconds: '30', incrementSeconds: '6', minCharge: '0.05' })).status, 303);
  let { rows } = await s.c.pool.query(`SELECT * FROM rates WHERE prefix = '44' AND plan_id IS NULL`);
  t.like(rows[0], { description: 'UK', min_seconds: 30, increment_seconds: 6 });
  t.is(Number(rows[0].price_per_min_micros), 23_400);
  t.is(Number(rows[0].min_charge_cents), 5);
  await c.post('/admin/rates', { plan: '', prefix: '44', description: 'UK again', price: '0.03', minSeconds: '60', incrementSeconds: '60', minCharge: '0' });
  ({ rows } = await s.c.pool.query(`SELECT * FROM rates WHERE prefix = '44' AND plan_id IS NULL`));
  t.is(rows.length, 1, 'replaced, not duplicated');
  t.is(Number(rows[0].price_per_min_micros), 30_000);
  const bad = await c.post('/admin/rates', { prefix: '4x', price: '0.1', minSeconds: '1', incrementSeconds: '1' });
  t.is(bad.status, 303);
  t.regex((await c.get('/admin/rates')).text, /Not saved: prefix/);
  t.is((await c.post('/admin/rates', { prefix: '45', price: '0.1', minSeconds: '1', incrementSeconds: '0' })).status, 303);
  t.is((await s.c.pool.query(`SELECT count(*)::int AS n FROM rates WHERE prefix = '45'`)).rows[0].n, 0, 'increment 0 refused');
  await c.get('/admin/rates');
  await c.post(`/admin/rates/${rows[0].id}/delete`, {});
  t.is((await s.c.pool.query(`SELECT count(*)::int AS n FROM rates WHERE prefix = '44'`)).rows[0].n, 0);

  await c.post('/admin/plans', { name: 'Gold', fee: '19.99' });
  const { rows: [gold] } = await s.c.pool.query(`SELECT * FROM plans WHERE name = 'Gold'`);
  t.is(Number(gold.monthly_fee_cents), 1999);
  const { rows: [demo] } = await s.c.pool.query(`SELECT id FROM subscribers WHERE slug = 'demo'`);
  await c.get(`/admin/subscribers/${demo.id}`);
  t.is((await c.post(`/admin/subscribers/${demo.id}/plan`, { plan: gold.id })).status, 303);
  t.is((await s.c.pool.query(`SELECT plan_id FROM subscriber_plans WHERE subscriber_id = $1`, [demo.id])).rows[0].plan_id, gold.id);
  const csv = parseCsv((await c.get(`/admin/subscribers/${demo.id}/statements.csv`)).text);
  t.deepEqual(csv[0], ['month', 'subscriber', 'timezone', 'plan', 'legs', 'billed_seconds', 'usage', 'monthly_fee', 'total', 'currency']);
  t.like(csv[1], { 1: 'demo', 2: 'America/New_York', 3: 'Gold', 7: '19.99' });
});

test('CSRF: an operator form posted without the token is refused', async (t) => {
  const c = await operator();
  const r = await c.post('/admin/plans', { name: 'NoToken', fee: '1' }, { csrf: null });
  t.is(r.status, 403);
  t.is((await s.c.pool.query(`SELECT count(*)::int AS n FROM plans WHERE name = 'NoToken'`)).rows[0].n, 0);
});
