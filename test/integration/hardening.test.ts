import test from 'ava';
import { startStack, type Stack } from '../helpers/stack.ts';
import { FormClient, operatorClient } from '../helpers/portal.ts';
import { DEMO_LOGIN } from '../../src/demo/seed.ts';
import { hashPassword } from '../../src/auth/password.ts';
import { insertAgent } from '../../src/agents/agent.repository.ts';
import { CALLBACK_QUEUE } from '../../src/platform/queue/callback-queue.ts';

// Browser-side hardening of our own pages: scripts only from files (CSP), HSTS over HTTPS, Bull Board changes
// only from its own page, login limits that a stranger cannot turn against an account, agents only as PJSIP
// endpoints, and a rejected widget skin that never reaches the preview's style or src.

const ADMIN = { email: 'ops-hard@example.com', password: 'operator-secret-43' };
let s: Stack;
test.before(async () => {
  s = await startStack({ label: 'hardening', worker: false, env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, TRUST_PROXY: 'true' } });
  for (const login of ['carol', 'dave']) await insertAgent(s.c.pool, { name: login, login, endpoint: `PJSIP/${login}`, passwordHash: await hashPassword(`${login}-password-1`) });
});
test.after.always(async () => { await s?.close(); });

/** Inline scripts in a page: <script> elements without src, other than JSON data blocks. */
const inlineScripts = (html: string) => [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)]
  .filter(([, attrs, body]) => !/\bsrc=/.test(attrs!) && !/type="application\/json"/.test(attrs!) && body!.trim() !== '');

test('pages carry no inline script and the CSP allows none', async (t) => {
  const visitor = new FormClient(s.base);
  const form = await fetch(`${s.base}/c/demo`);
  const csp = form.headers.get('content-security-policy')!;
  t.regex(csp, /script-src 'self'(;|$)/);
  t.false(/script-src[^;]*unsafe-inline/.test(csp));
  const html = await form.text();
  t.deepEqual(inlineScripts(html), []);
  const token = /name="formToken" value="([^"]+)"/.exec(html)![1]!;
  const made = await fetch(`${s.base}/c/demo`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ phone: '+1 202 555 0811', consent: 'on', formToken: token }) });
  t.is(made.status, 303);
  const agent = new FormClient(s.base);
  await agent.get('/agent/login');
  t.is((await agent.post('/agent/login', { login: 'carol', password: 'carol-password-1' })).status, 302);
  for (const [c, path] of [[visitor, made.headers.get('location')!], [visitor, '/signup'], [agent, '/agent']] as const) {
    const page = await c.get(path);
    t.is(page.status, 200, path);
    t.deepEqual(inlineScripts(page.text), [], path);
  }
});

test('HSTS is sent when PUBLIC_URL is https, not otherwise', async (t) => {
  t.is((await fetch(`${s.base}/healthz`)).headers.get('strict-transport-security'), null);
  const was = s.c.config.publicUrl;
  try {
    s.c.config.publicUrl = 'https://beckon.example';
    t.regex((await fetch(`${s.base}/healthz`)).headers.get('strict-transport-security') ?? '', /max-age=\d{7,}/);
  } finally {
    s.c.config.publicUrl = was;
  }
});

test('Bull Board changes only from its own page: a PUT without a same-origin Origin is 403 and pauses nothing', async (t) => {
  const op = await operatorClient(s.base, ADMIN);
  const pause = `/admin/queues/api/queues/${CALLBACK_QUEUE}/pause`;
  for (const headers of [{}, { origin: 'https://evil.example' }, { 'sec-fetch-site': 'same-site' }, { origin: 'null' }] as Record<string, string>[]) {
    const r = await op.send('PUT', pause, headers);
    t.is(r.status, 403, JSON.stringify(headers));
  }
  t.false(await s.c.queue.queue.isPaused());
  const own = await op.send('PUT', pause, { origin: s.base, 'sec-fetch-site': 'same-origin' });
  t.is(own.status, 200);
  t.true(await s.c.queue.queue.isPaused());
  t.is((await op.send('PUT', `/admin/queues/api/queues/${CALLBACK_QUEUE}/resume`, { origin: s.base })).status, 200);
  t.false(await s.c.queue.queue.isPaused());
});

test('failed logins lock out only that address for that account; correct logins never count', async (t) => {
  // Portal: a stranger fails 10 times on the demo account, then is refused even with the right password...
  const stranger = new FormClient(s.base);
  await stranger.get('/login');
  for (let i = 0; i < 10; i++) t.is((await stranger.post('/login', { email: DEMO_LOGIN.email, password: `wrong-${i}` })).status, 401);
  t.is((await stranger.post('/login', { email: DEMO_LOGIN.email, password: DEMO_LOGIN.password })).status, 429);
  // ...while the owner, elsewhere, logs in.
  const owner = new FormClient(s.base);
  await owner.get('/login');
  t.is((await owner.post('/login', { email: DEMO_LOGIN.email, password: DEMO_LOGIN.password })).status, 303);
  // Operator login: the same.
  const evil = new FormClient(s.base);
  await evil.get('/admin/login');
  for (let i = 0; i < 10; i++) t.is((await evil.post('/admin/login', { email: ADMIN.email, password: `wrong-${i}` })).status, 401);
  t.is((await evil.post('/admin/login', { email: ADMIN.email, password: ADMIN.password })).status, 429);
  await operatorClient(s.base, ADMIN);
  // Agents behind one office address: many correct logins use up nothing, and one agent's typos lock only themselves.
  const office = '10.99.0.1';
  const agentAt = async (login: string, password: string) => {
    const c = new FormClient(s.base);
    Object.defineProperty(c, 'ip', { value: office });
    await c.get('/agent/login');
    return (await c.post('/agent/login', { login, password })).status;
  };
  for (let i = 0; i < 12; i++) t.is(await agentAt(i % 2 ? 'carol' : 'dave', i % 2 ? 'carol-password-1' : 'dave-password-1'), 302);
  for (let i = 0; i < 10; i++) t.is(await agentAt('carol', `typo-${i}`), 401);
  t.is(await agentAt('carol', 'carol-password-1'), 429);
  t.is(await agentAt('dave', 'dave-password-1'), 302, 'a colleague at the same address is not locked out');
});

test('an agent endpoint is a PJSIP endpoint of the installation by name: no Local/ channel, no @host', async (t) => {
  const op = await operatorClient(s.base, ADMIN);
  await op.get('/admin/agents');
  const make = (login: string, endpoint: string) => op.post('/admin/agents', { name: login, login, password: 'long enough pw', endpoint });
  for (const [login, endpoint] of [['bad1', 'Local/19005550199'], ['bad2', 'Local/19005550199@from-internal'], ['bad3', 'PJSIP/19005550199@carrier'], ['bad4', 'SIP/agent'], ['bad5', 'PJSIP/'], ['bad6', 'PJSIP/a/b']]) {
    t.is((await make(login!, endpoint!)).status, 400, endpoint);
  }
  t.is((await s.c.pool.query(`SELECT count(*)::int AS n FROM agents WHERE login LIKE 'bad%'`)).rows[0].n, 0);
  t.is((await make('good1', 'PJSIP/agent7')).status, 303);
  t.is((await make('good2', 'PJSIP/1001')).status, 303);
});

test('a rejected widget skin refills the form but keeps raw input out of the preview\'s style and src', async (t) => {
  const owner = new FormClient(s.base);
  await owner.get('/login');
  t.is((await owner.post('/login', { email: DEMO_LOGIN.email, password: DEMO_LOGIN.password })).status, 303);
  await owner.get('/portal/widget');
  const evilColour = 'red;background-image:url(https://evil.example/x)';
  const r = await owner.post('/portal/widget', { primaryColor: evilColour, textColor: '#000000', buttonText: '', position: 'bottom-right', logoUrl: 'javascript:alert(1)', language: 'en' });
  t.is(r.status, 400);
  // The preview is the real widget in a frame, fed only values that passed validation.
  const src = /<iframe id="preview-frame"[^>]*src="([^"]*)"/.exec(r.text)![1]!.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');
  const skin = Object.fromEntries(new URL(src, s.base).searchParams);
  t.false(JSON.stringify(skin).includes('evil.example'), src);
  t.false(JSON.stringify(skin).includes('javascript'), src);
  t.regex(skin.primaryColor ?? '', /^#[0-9a-f]{6}$/i, `the invalid colour falls back to the saved one: ${src}`);
  t.is(skin.textColor, '#000000', 'the valid colour is previewed');
  const frame = await owner.get(src);
  t.is(frame.status, 200);
  t.false(frame.text.includes('evil.example'));
  t.false(frame.text.includes('javascript:'));
});
