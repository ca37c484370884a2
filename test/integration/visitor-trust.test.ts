import test from 'ava';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { findRequestsToDial } from '../../src/requests/callback.repository.ts';
import { API_AUTH } from '../helpers/stack.ts';
import { startPolicyWeb, callback, type PolicyWeb } from '../helpers/policy-web.ts';

// Who a request comes from and what it may do: the client address behind proxies, form tokens on every way in,
// cross-site posts, status-page opt-outs, duplicate answers and status streams. Only the web process runs (no
// worker), and each refusal is also checked to leave no request and no queued job behind: nothing is dialed.

let w: PolicyWeb;
test.before(async () => {
  w = await startPolicyWeb('trust', { LIMIT_PER_IP: '10/600', LIMIT_FORM_TOKENS_PER_IP: '4/600', STREAMS_PER_REQUEST: '3', STREAMS_PER_IP: '5' });
});
test.after.always(async () => { await w?.close(); });

const vid = () => randomBytes(12).toString('base64url');
const stored = async (e164: string) => (await w.c.pool.query(`SELECT id, host(ip) AS ip, status FROM callback_requests WHERE phone_e164 = $1`, [e164])).rows;
const jobs = async () => (await w.c.queue.queue.getJobs(['waiting', 'delayed', 'active'])).length;
const send = (body: unknown, headers: Record<string, string>) =>
  fetch(`${w.base}/api/v1/callbacks`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

test.serial('the client address is the trusted hop from the right of X-Forwarded-For, validated; what the client writes is ignored', async (t) => {
  // One socket, one proxy hop: varying the left part of the header does not make new clients.
  const statuses: number[] = [];
  for (let i = 0; i < 12; i++) {
    const r = await send(callback(`+1 202 555 07${10 + i}`, { visitorId: vid() }), { ...API_AUTH, 'x-forwarded-for': `192.0.2.${i + 1}, 203.0.113.50` });
    statuses.push(r.status);
  }
  t.deepEqual(statuses, [...Array(10).fill(202), 429, 429]);
  t.deepEqual((await stored('+12025550710')).map((r) => r.ip), ['203.0.113.50']);
  const chain = await send(callback('+1 202 555 0731'), { ...API_AUTH, 'x-forwarded-for': '198.51.100.7, 10.0.0.1' });
  t.is(chain.status, 202);
  t.deepEqual((await stored('+12025550731')).map((r) => r.ip), ['10.0.0.1']);
  // Not an address: the socket's address is used, and the request is served (it used to be a 503 from the inet cast).
  const junk = await send(callback('+1 202 555 0732'), { ...API_AUTH, 'x-forwarded-for': 'not-an-ip' });
  t.is(junk.status, 202);
  t.deepEqual((await stored('+12025550732')).map((r) => r.ip), ['127.0.0.1']);
});

test.serial('every way in needs a form token, whatever source it claims; only the API credential stands in for one', async (t) => {
  const before = await jobs();
  const ip = { 'x-forwarded-for': '203.0.113.60' };
  const plain = await send(callback('+1 202 555 0741'), ip);
  t.is(plain.status, 400);
  t.is((await plain.json()).error.code, 'form_token_missing');
  const api = await send(callback('+1 202 555 0741', { source: 'api' }), ip);
  t.is((await api.json()).error.code, 'form_token_missing');
  const wrongKey = await send(callback('+1 202 555 0741'), { ...ip, authorization: 'Bearer not-the-api-token-but-long-enough-000000' });
  t.is((await wrongKey.json()).error.code, 'form_token_missing');
  t.deepEqual(await stored('+12025550741'), [], 'nothing stored');
  t.is(await jobs(), before, 'nothing queued, so nothing dialed');
  const server = await send(callback('+1 202 555 0741'), { ...ip, ...API_AUTH });
  t.is(server.status, 202);
});

test.serial('a form token is good only from the address it was given to, and each address gets only a few', async (t) => {
  const token = async (ip: string) => fetch(`${w.base}/api/v1/form-token?subscriber=demo`, { headers: { 'x-forwarded-for': ip } });
  const given = (await (await token('203.0.113.70')).json() as { token: string }).token;
  const elsewhere = await send(callback('+1 202 555 0751', { source: 'widget', formToken: given }), { 'x-forwarded-for': '203.0.113.71' });
  t.is(elsewhere.status, 400);
  t.is((await elsewhere.json()).error.code, 'form_token_invalid');
  t.deepEqual(await stored('+12025550751'), []);
  const home = await send(callback('+1 202 555 0751', { source: 'widget', formToken: given }), { 'x-forwarded-for': '203.0.113.70' });
  t.is(home.status, 202);
  // LIMIT_FORM_TOKENS_PER_IP is 4 here: the hosted form's page counts as much as the widget's call.
  t.is((await token('203.0.113.70')).status, 200);
  t.is((await fetch(`${w.base}/c/demo`, { headers: { 'x-forwarded-for': '203.0.113.70' } })).status, 200);
  t.is((await token('203.0.113.70')).status, 200);
  const fifth = await token('203.0.113.70');
  t.is(fifth.status, 429);
  t.is((await fifth.json() as any).error.code, 'form_token_rate_limited');
  t.is((await fetch(`${w.base}/c/demo`, { headers: { 'x-forwarded-for': '203.0.113.70' } })).status, 429);
  t.is((await token('203.0.113.72')).status, 200, 'another address is not affected');
});

test.serial('the hosted form refuses posts another site makes the visitor\'s browser send', async (t) => {
  // A fresh form (and token) for each post, each from an address of its own (LIMIT_FORM_TOKENS_PER_IP is 4 here).
  let n = 0;
  const page = async (ip: string) => /name="formToken" value="([^"]+)"/.exec(await (await fetch(`${w.base}/c/demo`, { headers: { 'x-forwarded-for': ip } })).text())![1]!;
  const post = async (phone: string, headers: Record<string, string>) => {
    const ip = `203.0.113.${180 + n++}`;
    return w.post('/c/demo', new URLSearchParams({ phone, consent: 'on', formToken: await page(ip) }).toString(), ip, headers);
  };
  const before = await jobs();
  const crossSite: Record<string, string>[] = [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site', origin: 'https://shop.example' }, { origin: 'null' }];
  for (const headers of crossSite) {
    const r = await post('+1 202 555 0761', headers);
    t.is(r.status, 403, JSON.stringify(headers));
    t.regex(r.text, /only be sent from its own page/);
  }
  t.deepEqual(await stored('+12025550761'), []);
  t.is(await jobs(), before, 'nothing queued, so nothing dialed');
  const own = await post('+1 202 555 0761', { origin: w.base, 'sec-fetch-site': 'same-origin' });
  t.is(own.status, 303);
});

test.serial('a status-page opt-out stops that subscriber\'s calls, checked again at dial time; it never reaches the global list', async (t) => {
  await w.addSubscriber('trust-other');
  const victim = '+12025550771';
  // Someone asks for a call-back to a number that is not theirs, then "opts it out" with their own token.
  const r = await send(callback('+1 202 555 0771'), { ...API_AUTH, 'x-forwarded-for': '203.0.113.90' });
  const elsewhere = await send(callback('+1 202 555 0771', { subscriber: 'trust-other', scheduledAt: new Date(Date.now() + 3600_000).toISOString() }), { ...API_AUTH, 'x-forwarded-for': '203.0.113.91' });
  t.is(elsewhere.status, 202);
  const { id, statusToken } = await r.json() as { id: string; statusToken: string };
  // An attempt has rung the number (no worker here: the count a claim would leave); before one, the opt-out only cancels.
  await w.c.pool.query(`UPDATE callback_requests SET attempt_count = 1 WHERE id = $1`, [id]);
  const out = await w.post(`/api/v1/callbacks/${id}/opt-out?token=${encodeURIComponent(statusToken)}`, {});
  t.is(out.status, 200);
  t.is((await w.c.pool.query(`SELECT 1 FROM do_not_call WHERE phone_e164 = $1`, [victim])).rowCount, 0);
  const other = await elsewhere.json() as { id: string };
  const toDial = await findRequestsToDial(w.c.pool, [id, other.id]);
  t.true(toDial.get(id)!.onDoNotCall, 'the opted-out subscriber\'s request is not dialed');
  t.false(toDial.get(other.id)!.onDoNotCall, 'another subscriber\'s request still is');
  const again = await send(callback('+1 202 555 0771'), { ...API_AUTH, 'x-forwarded-for': '203.0.113.92' });
  t.is(again.status, 403);
  t.is((await again.json()).error.code, 'number_opted_out');
  t.is((await stored(victim)).length, 2);
});

test.serial('a duplicate answer tells a stranger nothing about the open request', async (t) => {
  const first = await (await send(callback('+1 202 555 0781'), { ...API_AUTH, 'x-forwarded-for': '203.0.113.93' })).json() as { id: string };
  const stranger = await send(callback('+1 202 555 0781'), { ...API_AUTH, 'x-forwarded-for': '203.0.113.94' });
  t.is(stranger.status, 200);
  const text = await stranger.text();
  t.false(text.includes(first.id));
  t.like(JSON.parse(text), { id: null, status: null, statusToken: null, statusUrl: null, duplicate: true });
  // Same address, another browser: a stranger too.
  const otherBrowser = await (await send(callback('+1 202 555 0781'), { ...API_AUTH, 'x-forwarded-for': '203.0.113.93', 'user-agent': 'another browser' })).json() as Record<string, unknown>;
  t.like(otherBrowser, { id: null, status: null, statusToken: null, duplicate: true });
});

test.serial('the one who asked first, asking again (a retry after a lost answer), gets the open request\'s id and status back, never its token', async (t) => {
  const first = await (await send(callback('+1 202 555 0782'), { ...API_AUTH, 'x-forwarded-for': '203.0.113.96' })).json() as { id: string; statusToken: string };
  const again = await send(callback('+1 202 555 0782'), { ...API_AUTH, 'x-forwarded-for': '203.0.113.96' });
  t.is(again.status, 200);
  const text = await again.text();
  t.like(JSON.parse(text), { id: first.id, status: 'queued', statusToken: null, statusUrl: null, duplicate: true });
  t.false(text.includes(first.statusToken));
});

test('a script on the machine itself needs no form token only where the operator allows it (the demo does)', async (t) => {
  const local = await startPolicyWeb('trust-local', { FORM_TOKEN_LOOPBACK_EXEMPT: 'true' });
  t.teardown(() => local.close());
  const post = (ip: string, phone: string) => fetch(`${local.base}/api/v1/callbacks`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': ip }, body: JSON.stringify(callback(phone)) });
  t.is((await post('127.0.0.1', '+1 202 555 0783')).status, 202);
  t.is((await post('::1', '+1 202 555 0784')).status, 202);
  t.is((await post('203.0.113.97', '+1 202 555 0785')).status, 400, 'anyone else still needs a form token');
  t.is((await send(callback('+1 202 555 0786'), { 'x-forwarded-for': '127.0.0.1' })).status, 400, 'off by default');
});

test.serial('status event streams are capped per request and per client address', async (t) => {
  const make = async (phone: string) => (await send(callback(phone), { ...API_AUTH, 'x-forwarded-for': '203.0.113.95' })).json() as Promise<{ id: string; statusToken: string }>;
  const a = await make('+1 202 555 0791');
  const b = await make('+1 202 555 0792');
  const open: AbortController[] = [];
  const stream = async (r: { id: string; statusToken: string }, ip: string) => {
    const ac = new AbortController();
    const res = await fetch(`${w.base}/api/v1/callbacks/${r.id}/events?token=${encodeURIComponent(r.statusToken)}`, { headers: { 'x-forwarded-for': ip }, signal: ac.signal });
    if (res.status === 200) open.push(ac); else await res.body?.cancel();
    return res.status;
  };
  try {
    t.deepEqual([await stream(a, '198.51.100.10'), await stream(a, '198.51.100.11'), await stream(a, '198.51.100.12')], [200, 200, 200]);
    t.is(await stream(a, '198.51.100.13'), 429, 'a fourth stream on one request');
    // Per address: 5 here.
    t.deepEqual([await stream(b, '198.51.100.20'), await stream(b, '198.51.100.20')], [200, 200]);
    const c = await make('+1 202 555 0793');
    t.deepEqual([await stream(c, '198.51.100.20'), await stream(c, '198.51.100.20'), await stream(c, '198.51.100.20')], [200, 200, 200]);
    const d = await make('+1 202 555 0794');
    t.is(await stream(d, '198.51.100.20'), 429, 'a sixth stream from one address');
    // Closing a stream frees its place.
    open.shift()!.abort();
    let again = 0;
    for (let i = 0; i < 50 && again !== 200; i++) { await new Promise((r) => setTimeout(r, 50)); again = await stream(a, '198.51.100.14'); }
    t.is(again, 200);
  } finally {
    for (const ac of open) ac.abort();
  }
});

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
function runCli(command: string, env: Record<string, string>): Promise<{ code: number | null; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'src/main/cli.ts', command], { cwd: ROOT, env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr!.on('data', (d) => { err += String(d); });
    const kill = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('exit', (code) => { clearTimeout(kill); resolve({ code, err }); });
  });
}

test('web and worker refuse to start with the shipped or a short SESSION_SECRET and say how to make one', async (t) => {
  t.timeout(200_000); // three CLI start-ups through tsx
  for (const [command, secret] of [['web', undefined], ['worker', undefined], ['web', 'short-secret']] as const) {
    const r = await runCli(command, { ...(secret ? { SESSION_SECRET: secret } : {}), DATABASE_URL: 'postgres://127.0.0.1:1/none', REDIS_URL: 'redis://127.0.0.1:1' });
    t.is(r.code, 1, `${command} ${secret ?? 'default'}`);
    t.regex(r.err, /SESSION_SECRET.*openssl rand -hex 32/, r.err);
  }
});
