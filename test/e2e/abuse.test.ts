import test from 'ava';
import { startStack, postJson, API_AUTH, type Stack } from '../helpers/stack.ts';
import { FormClient, signUp } from '../helpers/portal.ts';

/**
 * The ways a stranger or a fresh tenant could make Beckon ring a phone it should not, run against the whole
 * installation (web + a live worker + the simulated Asterisk) with the production limits on: for each one the
 * refusal is a 4xx naming why, and the simulator sees no call to the number. Finer cases of each guard live
 * beside their modules' tests; this file is the one place that shows every door closed with a worker listening.
 */
let s: Stack;
test.before(async () => {
  s = await startStack({
    label: 'abuse',
    // The installation's defaults: its own country only, limits and the per-number ceiling on. The stack
    // trusts one proxy hop so each case can come from its own client address.
    env: { DIAL_ALLOWED_COUNTRIES: 'US', RATE_LIMITS_ENABLED: 'true', CALL_CEILING_ENABLED: 'true', TRUST_PROXY: '1' },
  });
});
test.after.always(async () => { await s?.close(); });

let ipSeq = 0;
const freshIp = () => `198.18.${Math.floor(++ipSeq / 250)}.${(ipSeq % 250) + 1}`;
const callback = (phone: string, extra: Record<string, unknown> = {}) =>
  ({ subscriber: 'demo', phone, name: 'Abuse Case', pageUrl: 'http://localhost/', consent: true, ...extra });
async function formToken(ip: string): Promise<string> {
  const r = await fetch(`${s.base}/api/v1/form-token?subscriber=demo`, { headers: { 'x-forwarded-for': ip } });
  const j = await r.json() as { token?: string; formToken?: string };
  return (j.token ?? j.formToken)!;
}
/** Gives the worker time to act on anything that slipped through, then lists the calls that touched the number. */
async function callsTo(digits: string): Promise<unknown[]> {
  await new Promise((r) => setTimeout(r, 600));
  return s.sim.originates().filter((o) => o.number === digits || (o.number ?? '').endsWith(digits));
}

for (const [what, phone, digits, code] of [
  ['a premium-rate number', '+1 900 555 0199', '19005550199', 'number_type_refused'],
  ['a toll-free number', '+1 800 555 0100', '18005550100', 'number_type_refused'],
  ['a Cuban mobile (outside the operator\'s countries)', '+53 5 234 5671', '5352345671', 'country_not_allowed'],
  ['a satellite number', '+881 6 1234 5671', '881612345671', null],
  ['a Caribbean +1 number', '+1 876 555 1231', '18765551231', 'country_not_allowed'],
] as const) {
  test.serial(`toll fraud: ${what} is refused and never rung`, async (t) => {
    const r = await postJson(s.base, '/api/v1/callbacks', callback(phone), { ...API_AUTH, 'x-forwarded-for': freshIp() });
    t.true(r.status >= 400 && r.status < 500, `${r.status} ${r.text}`);
    if (code) t.is(r.json.error.code, code);
    t.deepEqual(await callsTo(digits), []);
  });
}

test.serial('toll fraud: a tenant that moves its country to Cuba still cannot ring Cuba, and its phone needs verifying again', async (t) => {
  const { client, form } = await signUp(s.base, { phone: '+1 202 555 0142', country: 'US' });
  const slug = (await s.c.pool.query(`SELECT slug FROM subscribers WHERE email = $1`, [form.email])).rows[0].slug as string;
  await s.c.pool.query(`UPDATE subscribers SET phone_verified_at = now() WHERE slug = $1`, [slug]);
  await client.get('/portal');
  const moved = await client.post('/portal/profile', { name: form.name!, phone: form.phone!, country: 'CU', timezone: 'America/Havana' });
  t.true(moved.status < 400, `${moved.status}`);
  const row = (await s.c.pool.query(`SELECT country, phone_verified_at FROM subscribers WHERE slug = $1`, [slug])).rows[0];
  t.is(row.country, 'CU');
  t.is(row.phone_verified_at, null, 'a country change clears the verification');
  const unverified = await postJson(s.base, '/api/v1/callbacks', callback('+53 5 234 5672', { subscriber: slug }), { ...API_AUTH, 'x-forwarded-for': freshIp() });
  t.is(unverified.status, 409, unverified.text);
  // The owner verifies its (US) phone again: the country it chose is still not one the operator serves.
  await s.c.pool.query(`UPDATE subscribers SET phone_verified_at = now() WHERE slug = $1`, [slug]);
  s.c.subscribers.invalidate(slug);
  const r = await postJson(s.base, '/api/v1/callbacks', callback('+53 5 234 5672', { subscriber: slug }), { ...API_AUTH, 'x-forwarded-for': freshIp() });
  t.is(r.status, 403, r.text);
  t.is(r.json.error.code, 'country_not_served');
  t.deepEqual(await callsTo('5352345672'), []);
});

test.serial('toll fraud: verification calls to a satellite number are refused and never rung', async (t) => {
  const { client } = await signUp(s.base, { phone: '+881 6 1234 5679' });
  await client.get('/portal');
  const call = await client.post('/portal/verify', { department: '' });
  t.is(call.status, 303);
  t.regex((await client.get('/portal')).text, /We cannot call this number/);
  t.deepEqual(await callsTo('881612345679'), []);
});

test.serial('bots: a request without a form token is refused whatever source it claims', async (t) => {
  for (const source of [undefined, 'api', 'widget', 'form']) {
    const r = await postJson(s.base, '/api/v1/callbacks', callback('+1 202 555 0901', source ? { source } : {}), { 'x-forwarded-for': freshIp() });
    t.true(r.status >= 400 && r.status < 500, `source ${source}: ${r.status} ${r.text}`);
  }
  t.deepEqual(await callsTo('12025550901'), []);
});

test.serial('bots: a forged form token, one minted for another address, and a replayed one are refused', async (t) => {
  const forged = await postJson(s.base, '/api/v1/callbacks', callback('+1 202 555 0902', { source: 'widget', formToken: 'v1.' + 'A'.repeat(60) }), { 'x-forwarded-for': freshIp() });
  t.true(forged.status >= 400 && forged.status < 500, forged.text);
  const elsewhere = await postJson(s.base, '/api/v1/callbacks', callback('+1 202 555 0902', { source: 'widget', formToken: await formToken(freshIp()) }), { 'x-forwarded-for': freshIp() });
  t.true(elsewhere.status >= 400 && elsewhere.status < 500, elsewhere.text);
  t.deepEqual(await callsTo('12025550902'), []);

  const ip = freshIp();
  const token = await formToken(ip);
  const first = await postJson(s.base, '/api/v1/callbacks', callback('+1 202 555 0903', { source: 'widget', formToken: token }), { 'x-forwarded-for': ip });
  t.is(first.status, 202, first.text);
  const replay = await postJson(s.base, '/api/v1/callbacks', callback('+1 202 555 0904', { source: 'widget', formToken: token }), { 'x-forwarded-for': ip });
  t.true(replay.status >= 400 && replay.status < 500, replay.text);
  t.deepEqual(await callsTo('12025550904'), []);
});

test.serial('bots: another site cannot make its visitors\' browsers post the hosted form', async (t) => {
  const ip = freshIp();
  const page = await (await fetch(`${s.base}/c/demo`, { headers: { 'x-forwarded-for': ip } })).text();
  const token = /name="formToken" value="([^"]+)"/.exec(page)![1]!;
  const r = await fetch(`${s.base}/c/demo`, {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example', 'sec-fetch-site': 'cross-site', 'x-forwarded-for': ip },
    body: new URLSearchParams({ phone: '+1 202 555 0905', name: 'Victim', consent: 'on', formToken: token }),
  });
  t.is(r.status, 403);
  t.deepEqual(await callsTo('12025550905'), []);
});

test.serial('call bombing: however many visitors ask, one number is rung at most the per-number ceiling', async (t) => {
  // Twelve "visitors" from twelve addresses ask for the same victim; the accept-time limits refuse most, and
  // whatever is accepted is still bounded by the per-number ceiling when it is dialed (3 in any hour).
  const answers = [];
  for (let i = 0; i < 12; i++) {
    const ip = freshIp();
    answers.push((await postJson(s.base, '/api/v1/callbacks', callback('+1 202 555 0900', { source: 'widget', formToken: await formToken(ip), visitorId: `v-bomb-${i}` }), { 'x-forwarded-for': ip })).status);
  }
  t.true(answers.filter((x) => x === 202).length <= 3, `accepted: ${answers.join(',')}`);
  await new Promise((r) => setTimeout(r, 4000));
  t.true((await callsTo('12025550900')).length <= 3);
});

test.serial('opt-out forgery: a status-page opt-out by a stranger does not put the number on the global list', async (t) => {
  const ip = freshIp();
  const r = await postJson(s.base, '/api/v1/callbacks', callback('+1 202 555 0906', { scheduledAt: new Date(Date.now() + 3600_000).toISOString() }), { ...API_AUTH, 'x-forwarded-for': ip });
  t.is(r.status, 202, r.text);
  const out = await postJson(s.base, `/api/v1/callbacks/${r.json.id}/opt-out?token=${encodeURIComponent(r.json.statusToken)}`, {}, { 'x-forwarded-for': ip });
  t.true(out.status < 400, out.text);
  const global = (await s.c.pool.query(`SELECT count(*)::int AS n FROM do_not_call WHERE phone_e164 = '+12025550906'`)).rows[0].n;
  t.is(global, 0, 'only this subscriber stops calling the number');
});

test.serial('a forged opt-out link is refused', async (t) => {
  const client = new FormClient(s.base);
  const r = await client.send('POST', '/opt-out/v1.' + 'B'.repeat(80));
  t.true(r.status >= 400 && r.status < 500, `${r.status}`);
});
