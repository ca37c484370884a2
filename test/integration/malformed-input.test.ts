import http from 'node:http';
import { gzipSync } from 'node:zlib';
import test from 'ava';
import { API_AUTH, startStack, type Stack } from '../helpers/stack.ts';
import { FormClient, operatorClient, ownerClient } from '../helpers/portal.ts';
import { DEMO_LOGIN } from '../../src/demo/seed.ts';
import { hashPassword } from '../../src/auth/password.ts';
import { insertAgent } from '../../src/agents/agent.repository.ts';

// Malformed input answered at the edge with a 4xx, never a 5xx or a hang (src/web/middleware/input-guard.ts,
// src/platform/validation/*). Each test names the input that used to fail deeper.
const ADMIN = { email: 'ops@example.com', password: 'operator-secret-42' };
let s: Stack;
let portal: FormClient;
let admin: FormClient;
let agent: FormClient;

test.before(async () => {
  s = await startStack({ label: 'malformed', env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password } });
  await insertAgent(s.c.pool, { name: 'Mal Agent', login: 'malagent', endpoint: 'PJSIP/agent2', passwordHash: await hashPassword('agent-password-1') });
  portal = await ownerClient(s.base);
  admin = await operatorClient(s.base, ADMIN);
  agent = new FormClient(s.base);
  await agent.get('/agent/login');
  if ((await agent.post('/agent/login', { login: 'malagent', password: 'agent-password-1' })).status !== 302) throw new Error('agent login failed');
});
test.after.always(async () => { await s?.close(); });

/** One raw HTTP exchange (fetch refuses TRACE and rewrites some headers). */
function raw(method: string, path: string, headers: Record<string, string> = {}, body?: Buffer | string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${s.base}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString() }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

async function healthyWithin(ms: number): Promise<boolean> {
  const r = await fetch(`${s.base}/healthz`, { signal: AbortSignal.timeout(ms) }).catch(() => null);
  return r?.status === 200;
}

test('far-off or malformed dates and over-long ranges are a quick 400 on every date filter, and the process stays responsive', async (t) => {
  const bad = [
    '/portal/reports?from=9999-12-30&to=9999-12-31', '/portal/reports.csv?from=9999-12-30&to=9999-12-31',
    '/portal/reports?from=1999-12-31', '/portal/reports?from=2020-01-01&to=2026-01-01', '/portal/reports?to=2026-02-30',
    "/portal/reports?from=1'%20OR%201=1", '/portal/requests?from=9999-12-30&to=9999-12-31', '/portal/requests?to=99999-01-01',
    '/portal/usage?month=9999-12', '/portal/usage/calls.csv?month=0000-01', '/portal/usage/9999-12',
  ];
  for (const path of bad) {
    const r = await portal.get(path, { signal: AbortSignal.timeout(5000) } as never);
    t.is(r.status, 400, path);
  }
  for (const path of ['/admin/calls?from=9999-12-30&to=9999-12-31', '/admin/calls.csv?from=2000-01-01&to=2100-12-31', '/admin/calls?to=2026-99-99', '/admin/statements.csv?month=9999-01']) {
    t.is((await admin.get(path)).status, 400, path);
  }
  t.true(await healthyWithin(1000));
  // Ranges within the bounds still work, empty fields mean the default.
  t.is((await portal.get('/portal/reports?from=2026-01-01&to=2026-12-31')).status, 200);
  t.is((await portal.get('/portal/reports?from=&to=')).status, 200);
  t.is((await portal.get('/portal/requests?from=2020-01-01&to=')).status, 200);
  t.is((await admin.get('/admin/calls?from=2026-01-01&to=2026-01-31')).status, 200);
});

test('ids that look like UUIDs but are not are 404, never a PostgreSQL cast error', async (t) => {
  const ids = ['------------------------------------', 'ffffffff-ffff-ffff-ffff-fffffffffff-', 'gggggggg-0000-0000-0000-000000000000'];
  for (const id of ids) {
    const e = encodeURIComponent(id);
    for (const [method, path] of [
      ['GET', `/api/v1/callbacks/${e}?token=x`], ['GET', `/api/v1/callbacks/${e}/events?token=x`],
      ['POST', `/api/v1/callbacks/${e}/cancel?token=x`], ['POST', `/api/v1/callbacks/${e}/opt-out?token=x`],
      ['GET', `/c/demo/status/${e}?token=x`],
    ] as const) {
      const r = await raw(method, path, { 'content-type': 'application/json' }, method === 'POST' ? '{}' : undefined);
      t.is(r.status, 404, `${method} ${path}`);
    }
    t.is((await portal.get(`/portal/verify/${e}`)).status, 404, `portal verify ${id}`);
    t.is((await admin.get(`/admin/agents/${e}`)).status, 404, `admin agent ${id}`);
    await agent.get('/agent');
    const disp = await agent.post(`/agent/requests/${e}/disposition`, { disposition: 'resolved', notes: '' });
    t.is(disp.status, 404, `agent disposition ${id}`);
  }
});

test('a CSRF token of the right length with a multibyte character is a 403, not a 500', async (t) => {
  const c = new FormClient(s.base);
  await c.get('/login');
  const forged = 'é' + 'a'.repeat(c.csrf.length - 1);
  t.is(forged.length, c.csrf.length);
  const r = await c.post('/login', { email: DEMO_LOGIN.email, password: DEMO_LOGIN.password }, { csrf: forged });
  t.is(r.status, 403);
  t.is((await portal.post('/portal/messages', { greeting: 'Hello', announcement: '' }, { csrf: forged })).status, 403);
});

test('NUL and other control characters are refused at the edge with a 400', async (t) => {
  t.is((await raw('GET', '/c/%00')).status, 400);
  t.is((await raw('GET', '/c/demo%01x')).status, 400);
  t.is((await raw('GET', '/api/v1/slots?subscriber=%00')).status, 400);
  t.is((await raw('GET', '/api/v1/directory?url=http://localhost/%00')).status, 400);
  const json = { 'content-type': 'application/json' };
  const base = { subscriber: 'demo', phone: '+1 202 555 0144', consent: true, pageUrl: 'http://localhost/' };
  for (const extra of [{ subscriber: 'demo\u0000' }, { name: 'Eve\u0000' }, { message: 'hi\u0000there' }, { name: 'x\u001b[31m' }, { 'bad\u0000key': 1 }]) {
    const r = await raw('POST', '/api/v1/callbacks', json, JSON.stringify({ ...base, ...extra }));
    t.is(r.status, 400, JSON.stringify(extra));
    t.regex(r.text, /control_characters/);
  }
  t.is((await admin.get('/admin/subscribers?q=%00')).status, 400);
  t.is((await portal.post('/portal/messages', { greeting: 'Hello\u0000', announcement: '' })).status, 400);
  t.is((await portal.post('/portal/widget', { buttonText: 'Call\u0000me', primaryColor: '#0b5fff' })).status, 400);
  await portal.get('/portal/messages');
  // Line breaks and tabs are text: a message keeps them.
  t.is((await portal.post('/portal/messages', { greeting: 'Hello,\r\nwelcome\t!', announcement: '' })).status, 303);
  t.is((await s.c.pool.query(`SELECT count(*)::int AS n FROM callback_requests WHERE phone_e164 = '+12025550144'`)).rows[0].n, 0, 'nothing stored');
});

test('a Content-Encoding the body does not match is a 400; an unknown one a 415', async (t) => {
  const body = JSON.stringify({ subscriber: 'demo', phone: '+1 202 555 0144', consent: true });
  for (const enc of ['gzip', 'br', 'deflate']) {
    const r = await raw('POST', '/api/v1/callbacks', { 'content-type': 'application/json', 'content-encoding': enc }, body);
    t.is(r.status, 400, enc);
    t.regex(r.text, /bad_content_encoding/, enc);
  }
  t.is((await raw('POST', '/api/v1/callbacks', { 'content-type': 'application/json', 'content-encoding': 'compress' }, body)).status, 415);
  t.is((await raw('POST', '/c/demo', { 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'gzip' }, 'phone=1')).status, 400);
  // A body really compressed is read as usual.
  const ok = await raw('POST', '/api/v1/callbacks', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, gzipSync(JSON.stringify({ subscriber: 'demo' })));
  t.is(ok.status, 400);
  t.regex(ok.text, /validation_failed|phone/);
});

test('an impossible time-zone offset on the hosted form is a 400 naming the time', async (t) => {
  const form = new FormClient(s.base);
  await form.get('/c/demo');
  for (const tzOffset of ['1e308', '-1e308', 'NaN', 'Infinity', '841', '1.5']) {
    const r = await form.post('/c/demo', { phone: '+1 202 555 0144', consent: 'on', scheduledAtLocal: '2026-12-25T10:00', tzOffset }, { csrf: null });
    t.is(r.status, 400, tzOffset);
  }
});

test('unsupported methods are a deliberate 501; an unknown plan and a malformed URI are 400', async (t) => {
  for (const method of ['TRACE', 'PROPFIND', 'MKCOL', 'LOCK']) {
    const r = await raw(method, '/api/v1/callbacks');
    t.is(r.status, 501, method);
    t.regex(r.text, /method_not_implemented/);
  }
  await admin.get('/admin/rates');
  const r = await admin.post('/admin/rates', { plan: '00000000-0000-4000-8000-000000000000', prefix: '44', price: '0.01', minSeconds: '30', incrementSeconds: '6', minCharge: '0' });
  t.is(r.status, 400);
  t.is((await s.c.pool.query(`SELECT count(*)::int AS n FROM rates WHERE prefix = '44' AND plan_id IS NOT NULL`)).rows[0].n, 0);
  t.is((await admin.get('/admin/queues?activeQueue=%ED%A0%80')).status, 400);
  t.is((await admin.get('/admin/queues/api/queues?activeQueue=%E0%A4%A')).status, 400);
  t.is((await raw('GET', '/c/%E0%A4%A')).status, 400);
});

test('CR/LF in a visitor name never reaches a caller id: the callee sees one line', async (t) => {
  const r = await raw('POST', '/api/v1/callbacks', { 'content-type': 'application/json', ...API_AUTH }, JSON.stringify({
    subscriber: 'demo', phone: '+1 202 555 0143', consent: true, pageUrl: 'http://localhost/', name: 'Eve\r\nP-Asserted-Identity: <sip:evil>\t"x"',
  }));
  t.is(r.status, 202, r.text);
  const { id } = JSON.parse(r.text);
  const deadline = Date.now() + 20_000;
  let callee: { callerId: string } | undefined;
  while (!callee && Date.now() < deadline) {
    const visitor = s.sim.originates().find((o: any) => o.endpoint === 'PJSIP/12025550143@carrier') as { channelId: string } | undefined;
    callee = visitor && s.sim.originates().find((o: any) => o.channelId === visitor.channelId.replace('bk-v-', 'bk-c-')) as never;
    if (!callee) await new Promise((res) => setTimeout(res, 100));
  }
  t.truthy(callee, `callee leg of ${id} dialed`);
  t.false(/[\u0000-\u001f]/.test(callee!.callerId), JSON.stringify(callee!.callerId));
  t.is(callee!.callerId, '"Eve P-Asserted-Identity: sip:evil x" <+12025550143>');
});
