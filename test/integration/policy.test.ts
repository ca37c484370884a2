import test from 'ava';
import { randomBytes } from 'node:crypto';
import { cancelRequest } from '../../src/requests/cancel.service.ts';
import { transitionRequest } from '../../src/requests/callback.repository.ts';
import { jobIdFor } from '../../src/platform/queue/callback-queue.ts';
import { optOutUrl } from '../../src/policy/policy.routes.ts';
import { policySecret } from '../../src/policy/accept-policy.ts';
import { startPolicyWeb, callback, type PolicyWeb } from '../helpers/policy-web.ts';

let w: PolicyWeb;
test.before(async () => {
  w = await startPolicyWeb('policy', {
    LIMIT_PER_IP: '5/600', LIMIT_PER_NUMBER_SHORT: '3/600', LIMIT_PER_NUMBER_LONG: '15/86400', NUMBER_BLOCK_SEC: '86400',
    LIMIT_NUMBERS_PER_VISITOR: '2/3600', LIMIT_PER_SUBSCRIBER_DAY: '1000',
  });
});
test.after.always(async () => { await w?.close(); });

const vid = () => randomBytes(12).toString('base64url');
const rows = async (e164: string) => (await w.c.pool.query(`SELECT id, status, subscriber_id FROM callback_requests WHERE phone_e164 = $1 ORDER BY created_at`, [e164])).rows;
const refusalsLogged = (code: string) => w.logs.filter((l) => l.msg === 'call-back request refused' && l.code === code).length;

// Serial: it counts refusal log lines by code, and other tests of this file log the same codes.
test.serial('premium-rate, toll-free, personal and foreign numbers are refused with a code, logged, and nothing is stored', async (t) => {
  const cases = [
    ['+1 900 555 0123', '+19005550123', 'number_type_refused'],
    ['+1 800 555 0100', '+18005550100', 'number_type_refused'],
    ['+44 70 1123 4567', '+447011234567', 'number_type_refused'],
    ['+44 20 7946 0958', '+442079460958', 'country_not_allowed'],
    ['+1 876 555 0100', '+18765550100', 'country_not_allowed'],
  ] as const;
  for (const [typed, e164, code] of cases) {
    const before = refusalsLogged(code);
    const r = await w.post('/api/v1/callbacks', callback(typed));
    t.is(r.status, 403, typed);
    t.is(r.json.error.code, code, typed);
    t.is(refusalsLogged(code), before + 1, `${typed} refusal logged`);
    t.deepEqual(await rows(e164), []);
  }
});

test('a second request for an open (subscriber, number) is answered as a duplicate, also when both arrive at once', async (t) => {
  const first = await w.post('/api/v1/callbacks', callback('+1 202 555 0161'));
  t.is(first.status, 202);
  const again = await w.post('/api/v1/callbacks', callback('(202) 555-0161'));
  t.is(again.status, 200);
  // Whoever typed the number may not be who asked first: neither the first request's id nor its status.
  t.deepEqual(again.json, { id: null, status: null, statusUrl: null, statusToken: null, duplicate: true, message: 'A call-back request for this number is already waiting.' });
  t.false(again.text.includes(first.json.id));
  // A double click: two submissions in the same instant.
  const [a, b] = await Promise.all([w.post('/api/v1/callbacks', callback('+1 202 555 0162')), w.post('/api/v1/callbacks', callback('+1 202 555 0162'))]);
  t.deepEqual([a.status, b.status].sort(), [200, 202]);
  t.deepEqual([a.json.duplicate, b.json.duplicate].sort(), [true, undefined]);
  t.is((await rows('+12025550162')).length, 1);
  // Once the first is finished, a new request is a new one.
  await transitionRequest(w.c.pool, first.json.id, ['queued'], 'dialing', null);
  await transitionRequest(w.c.pool, first.json.id, ['dialing'], 'completed', 'test');
  const later = await w.post('/api/v1/callbacks', callback('+1 202 555 0161'));
  t.is(later.status, 202);
  t.not(later.json.id, first.json.id);
});

test('per-IP limit: the 6th request from one IP is 429 ip_rate_limited and stores nothing; another IP is not affected', async (t) => {
  const ip = '203.0.113.77';
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) statuses.push((await w.post('/api/v1/callbacks', callback(`+1 202 555 02${10 + i}`, { visitorId: vid() }), ip)).status);
  t.deepEqual(statuses, [202, 202, 202, 202, 202, 429]);
  const r = await w.post('/api/v1/callbacks', callback('+1 202 555 0216', { visitorId: vid() }), ip);
  t.is(r.json.error.code, 'ip_rate_limited');
  t.true(r.json.error.retryAfterSec > 0);
  t.deepEqual(await rows('+12025550215'), []);
  t.is((await w.post('/api/v1/callbacks', callback('+1 202 555 0217', { visitorId: vid() }), '203.0.113.78')).status, 202);
});

test('per-number limit counts across subscribers, then the number stays refused', async (t) => {
  for (const slug of ['n-one', 'n-two', 'n-three', 'n-four', 'n-five']) await w.addSubscriber(slug);
  const ask = (slug: string) => w.post('/api/v1/callbacks', callback('+1 202 555 0231', { subscriber: slug }));
  t.is((await ask('n-one')).status, 202);
  t.is((await ask('n-two')).status, 202);
  t.is((await ask('n-three')).status, 202);
  const fourth = await ask('n-four');
  t.is(fourth.status, 429);
  t.is(fourth.json.error.code, 'number_rate_limited');
  t.true(fourth.json.error.retryAfterSec > 3600, 'blocked for the block duration, not just the window');
  t.is((await ask('n-five')).json.error.code, 'number_rate_limited');
  t.is((await rows('+12025550231')).length, 3);
});

test('asking again for a waiting number is answered "waiting" and uses none of the number\'s limit; distinct requests do', async (t) => {
  for (const slug of ['n-six', 'n-seven', 'n-eight']) await w.addSubscriber(slug);
  const ask = (slug = 'demo') => w.post('/api/v1/callbacks', callback('+1 202 555 0236', { subscriber: slug }));
  t.is((await ask()).status, 202);
  for (let i = 0; i < 4; i++) {
    const again = await ask();
    t.is(again.status, 200, `ask ${i + 2}`);
    t.true(again.json.duplicate);
  }
  // Duplicates ring nobody: the number has used 1 of its 3, so two more subscribers may take it, and a fourth not.
  t.is((await ask('n-six')).status, 202);
  t.is((await ask('n-seven')).status, 202);
  const fourth = await ask('n-eight');
  t.is(fourth.status, 429);
  t.is(fourth.json.error.code, 'number_rate_limited');
  t.is((await rows('+12025550236')).length, 3);
});

test('requests that are not stored (duplicates, a double click, an opted-out number) use none of the business\'s daily cap', async (t) => {
  const id = await w.addSubscriber('n-daily', { policy: { dailyLimit: 3 } });
  const ask = (phone: string) => w.post('/api/v1/callbacks', callback(phone, { subscriber: 'n-daily' }));
  t.is((await ask('+1 202 555 0251')).status, 202);
  for (let i = 0; i < 6; i++) t.is((await ask('+1 202 555 0251')).status, 200, 'a duplicate');
  // A double click: both at once, one stored.
  const both = await Promise.all([ask('+1 202 555 0252'), ask('+1 202 555 0252')]);
  t.deepEqual(both.map((r) => r.status).sort(), [200, 202]);
  // Opted out of this business: refused, not counted.
  await w.c.pool.query(`INSERT INTO subscriber_opt_outs (subscriber_id, phone_e164) VALUES ($1, '+12025550253')`, [id]);
  for (let i = 0; i < 3; i++) t.is((await ask('+1 202 555 0253')).json.error.code, 'number_opted_out');
  // Two stored so far: a third is taken, and only then is the cap of 3 reached.
  t.is((await ask('+1 202 555 0254')).status, 202);
  const fourth = await ask('+1 202 555 0255');
  t.is(fourth.status, 429);
  t.is(fourth.json.error.code, 'subscriber_daily_limit');
});

test('one browser asking for a third different number within the hour is refused', async (t) => {
  const browser = vid();
  const ask = (phone: string) => w.post('/api/v1/callbacks', callback(phone, { visitorId: browser }));
  t.is((await ask('+1 202 555 0241')).status, 202);
  t.is((await ask('+1 202 555 0242')).status, 202);
  const third = await ask('+1 202 555 0243');
  t.is(third.status, 429);
  t.is(third.json.error.code, 'visitor_rate_limited');
  // The same numbers again are duplicates, not new numbers.
  t.is((await ask('+1 202 555 0242')).status, 200);
  // A plain API client without an id is a server: limited per IP, not per visitor.
  const server = '203.0.113.91';
  for (const phone of ['+1 202 555 0247', '+1 202 555 0248', '+1 202 555 0249']) t.is((await w.post('/api/v1/callbacks', callback(phone), server)).status, 202);
});

test('the hosted form knows its browser by a cookie; the widget without an id by IP and browser', async (t) => {
  const ip = '203.0.113.92';
  const page = await fetch(`${w.base}/c/demo`, { headers: { 'x-forwarded-for': ip } });
  const cookie = page.headers.get('set-cookie')!.split(';')[0]!;
  t.regex(cookie, /^bk_vid=[\w-]{16,}/);
  let seq = 10;
  const send = async (phone: string) => {
    // A different IP each time (a form token is good only from the address it was given to): the cookie is
    // what ties the requests together.
    const from = `203.0.113.${seq++}`;
    const html = await (await fetch(`${w.base}/c/demo`, { headers: { cookie, 'x-forwarded-for': from } })).text();
    const token = /name="formToken" value="([^"]+)"/.exec(html)![1]!;
    return w.post('/c/demo', formBody({ phone, consent: 'on', formToken: token }), from, { cookie });
  };
  t.is((await send('+1 202 555 0301')).status, 303);
  t.is((await send('+1 202 555 0302')).status, 303);
  const third = await send('+1 202 555 0303');
  t.is(third.status, 429);
  t.regex(third.text, /too many different numbers/);
  const widget = async (phone: string) => {
    const { token } = await (await fetch(`${w.base}/api/v1/form-token?subscriber=demo`, { headers: { 'x-forwarded-for': '203.0.113.93' } })).json() as { token: string };
    return w.post('/api/v1/callbacks', callback(phone, { source: 'widget', formToken: token, website: '' }), '203.0.113.93', { 'user-agent': 'Mozilla/5.0 widget test' });
  };
  t.is((await widget('+1 202 555 0304')).status, 202);
  t.is((await widget('+1 202 555 0305')).status, 202);
  t.is((await widget('+1 202 555 0306')).json.error.code, 'visitor_rate_limited');
});

test('per-subscriber daily limit from settings.policy.dailyLimit', async (t) => {
  await w.addSubscriber('small-shop', { policy: { dailyLimit: 2 } });
  const ask = (phone: string) => w.post('/api/v1/callbacks', callback(phone, { subscriber: 'small-shop' }));
  t.is((await ask('+1 202 555 0251')).status, 202);
  t.is((await ask('+1 202 555 0252')).status, 202);
  const third = await ask('+1 202 555 0253');
  t.is(third.status, 429);
  t.is(third.json.error.code, 'subscriber_daily_limit');
});

test('allowed countries per subscriber: a French shop may call France and Belgium, not the US', async (t) => {
  await w.addSubscriber('paris-shop', { policy: { allowedCountries: ['FR', 'BE'] } }, { country: 'FR', timezone: 'Europe/Paris' });
  const ask = (phone: string) => w.post('/api/v1/callbacks', callback(phone, { subscriber: 'paris-shop' }));
  t.is((await ask('06 12 34 56 78')).status, 202);
  t.is((await ask('+32 470 12 34 56')).status, 202);
  t.is((await ask('+1 202 555 0261')).json.error.code, 'country_not_allowed');
});

test('a status-token opt-out before any call cancels the request only: a stranger cannot bar a number from a business', async (t) => {
  // Someone types a number that is not theirs, then "opts it out" with the status token they were given.
  const r = await w.post('/api/v1/callbacks', callback('+1 202 555 0275', { scheduledAt: new Date(Date.now() + 3600_000).toISOString() }));
  t.is(r.status, 202);
  const out = await w.post(`/api/v1/callbacks/${r.json.id}/opt-out?token=${encodeURIComponent(r.json.statusToken)}`, {});
  t.is(out.status, 200);
  t.false(out.json.optedOut);
  t.is((await rows('+12025550275'))[0].status, 'canceled');
  t.is((await w.c.pool.query(`SELECT 1 FROM subscriber_opt_outs WHERE phone_e164 = '+12025550275'`)).rowCount, 0);
  // The number's owner can still ask this business for a call-back.
  t.is((await w.post('/api/v1/callbacks', callback('+1 202 555 0275'))).status, 202);
});

test('opting out with the status token once the request has rung the number cancels it and stops that subscriber\'s calls to the number, not every subscriber\'s', async (t) => {
  const r = await w.post('/api/v1/callbacks', callback('+1 202 555 0271'));
  t.is(r.status, 202);
  const wrong = await w.post(`/api/v1/callbacks/${r.json.id}/opt-out?token=nope`, {});
  t.is(wrong.status, 404);
  // An attempt has rung the number (no worker in this suite: the count a claim would leave).
  await w.c.pool.query(`UPDATE callback_requests SET attempt_count = 1 WHERE id = $1`, [r.json.id]);
  const out = await w.post(`/api/v1/callbacks/${r.json.id}/opt-out?token=${encodeURIComponent(r.json.statusToken)}`, {});
  t.is(out.status, 200);
  // Whoever holds a status token asked for a call-back, which anyone can do for any number: no global entry.
  t.is((await w.c.pool.query(`SELECT 1 FROM do_not_call WHERE phone_e164 = '+12025550271'`)).rowCount, 0);
  const { rows: own } = await w.c.pool.query(`SELECT subscriber_id, request_id FROM subscriber_opt_outs WHERE phone_e164 = '+12025550271'`);
  t.deepEqual(own, [{ subscriber_id: r.json.id && (await rows('+12025550271'))[0].subscriber_id, request_id: r.json.id }]);
  t.is((await rows('+12025550271'))[0].status, 'canceled');
  const same = await w.post('/api/v1/callbacks', callback('+1 202 555 0271'));
  t.is(same.status, 403);
  t.is(same.json.error.code, 'number_opted_out');
  await w.addSubscriber('dnc-other');
  const other = await w.post('/api/v1/callbacks', callback('+1 202 555 0271', { subscriber: 'dnc-other' }));
  t.is(other.status, 202, 'another subscriber may still call the number');
  t.is((await rows('+12025550271')).length, 2);
});

test('do-not-call: the signed link shows a confirmation on GET and opts out only on POST', async (t) => {
  const url = optOutUrl(w.base, policySecret(w.config), '+12025550272');
  const page = await fetch(url);
  t.is(page.status, 200);
  t.regex(await page.text(), /Never call this number again/);
  t.is((await w.c.pool.query(`SELECT 1 FROM do_not_call WHERE phone_e164 = '+12025550272'`)).rowCount, 0);
  const done = await fetch(url, { method: 'POST' });
  t.is(done.status, 200);
  t.regex(await done.text(), /will not be called/);
  t.is((await w.c.pool.query(`SELECT source FROM do_not_call WHERE phone_e164 = '+12025550272'`)).rows[0].source, 'link');
  t.is((await w.post('/api/v1/callbacks', callback('+1 202 555 0272'))).json.error.code, 'number_opted_out');
  const forged = await fetch(url.replace(/\/opt-out\/[^.]+/, `/opt-out/${Buffer.from('+12025550273').toString('base64url')}`), { method: 'POST' });
  t.is(forged.status, 404);
});

const formBody = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM_IP = '203.0.113.120';
/** A form token as the hosted form gives it to a browser at `ip` (it is good only from there). */
async function formToken(ip = FORM_IP): Promise<string> {
  const html = await (await fetch(`${w.base}/c/demo`, { headers: { 'x-forwarded-for': ip } })).text();
  return /name="formToken" value="([^"]+)"/.exec(html)![1]!;
}

test('hosted form: a signed form token is required and is good for one request; the honeypot catches bots', async (t) => {
  const base = { phone: '+1 202 555 0281', consent: 'on' };
  const none = await w.post('/c/demo', formBody(base));
  t.is(none.status, 400);
  t.regex(none.text, /could not be verified/);
  const forged = await w.post('/c/demo', formBody({ ...base, formToken: 'v1.demo.abc.def.ghi' }));
  t.is(forged.status, 400);
  const token = await formToken();
  const bot = await w.post('/c/demo', formBody({ ...base, formToken: token, website: 'http://spam.example' }), FORM_IP);
  t.is(bot.status, 400);
  t.deepEqual(await rows('+12025550281'), []);
  const ok = await w.post('/c/demo', formBody({ ...base, formToken: token }), FORM_IP);
  t.is(ok.status, 303);
  t.regex(ok.headers.get('location')!, /\/c\/demo\/status\/[0-9a-f-]{36}\?token=/);
  const reused = await w.post('/c/demo', formBody({ ...base, phone: '+1 202 555 0282', formToken: token }), FORM_IP);
  t.is(reused.status, 400);
  t.regex(reused.text, /already sent/);
  t.is((await rows('+12025550281')).length, 1);
  t.deepEqual(await rows('+12025550282'), []);
  for (const code of ['form_token_missing', 'form_token_invalid', 'spam_suspected', 'form_token_used']) t.true(refusalsLogged(code) >= 1, code);
  // The same visitor sending again sees that the request is waiting, not an error.
  const dup = await w.post('/c/demo', formBody({ ...base, formToken: await formToken() }), FORM_IP);
  t.is(dup.status, 200);
  t.regex(dup.text, /already have a call-back request waiting/);
});

test('a double click on the hosted form (one form token sent twice at once) answers the second with the waiting request, not as a reused form', async (t) => {
  const ip = '203.0.113.130';
  const token = await formToken(ip);
  const send = () => w.post('/c/demo', formBody({ phone: '+1 202 555 0285', consent: 'on', formToken: token }), ip);
  const [a, b] = await Promise.all([send(), send()]);
  t.deepEqual([a.status, b.status].sort(), [200, 303]);
  t.regex((a.status === 200 ? a : b).text, /already have a call-back request waiting/);
  t.is((await rows('+12025550285')).length, 1);
  // Sent again later, the form still finds the request waiting; for another number its token is spent.
  await new Promise((r) => setTimeout(r, 1600));
  const again = await send();
  t.is(again.status, 200);
  t.regex(again.text, /already have a call-back request waiting/);
  const other = await w.post('/c/demo', formBody({ phone: '+1 202 555 0286', consent: 'on', formToken: token }), ip);
  t.is(other.status, 400);
  t.regex(other.text, /already sent/);
  t.deepEqual(await rows('+12025550286'), []);
});

test('widget: GET /api/v1/form-token gives a token for a known subscriber; widget requests need one', async (t) => {
  t.is((await fetch(`${w.base}/api/v1/form-token?subscriber=nobody-here`)).status, 404);
  const ip = '203.0.113.121';
  const r = await fetch(`${w.base}/api/v1/form-token?subscriber=demo`, { headers: { 'x-forwarded-for': ip } });
  t.is(r.status, 200);
  t.is(r.headers.get('cache-control'), 'no-store');
  const { token, expiresAt } = await r.json() as { token: string; expiresAt: string };
  t.true(Date.parse(expiresAt) > Date.now() + 600_000);
  const without = await w.post('/api/v1/callbacks', callback('+1 202 555 0291', { source: 'widget', website: '' }), ip, { authorization: '' });
  t.is(without.status, 400);
  t.is(without.json.error.code, 'form_token_missing');
  const other = await w.post('/api/v1/callbacks', callback('+1 202 555 0291', { source: 'widget', subscriber: 'n-one', formToken: token, website: '' }), ip);
  t.is(other.json.error.code, 'form_token_invalid', 'a token is bound to its subscriber');
  const ok = await w.post('/api/v1/callbacks', callback('+1 202 555 0291', { source: 'widget', formToken: token, website: '' }), ip);
  t.is(ok.status, 202);
  const { rows: [row] } = await w.c.pool.query(`SELECT source FROM callback_requests WHERE id = $1`, [ok.json.id]);
  t.is(row.source, 'widget');
});

test('cancel: the visitor cancels a pending request with its token; the subscriber only its own; finished ones stay', async (t) => {
  const r = await w.post('/api/v1/callbacks', callback('+1 202 555 0295', { scheduledAt: new Date(Date.now() + 3600_000).toISOString() }));
  t.is(r.status, 202);
  t.is(r.json.status, 'scheduled');
  const job = await w.c.queue.queue.getJob(jobIdFor(r.json.id, 0));
  t.is(await job?.getState(), 'delayed');
  t.is((await w.post(`/api/v1/callbacks/${r.json.id}/cancel?token=wrong`, {})).status, 404);
  const ok = await w.post(`/api/v1/callbacks/${r.json.id}/cancel?token=${encodeURIComponent(r.json.statusToken)}`, {});
  t.is(ok.status, 200);
  t.deepEqual(ok.json, { id: r.json.id, status: 'canceled' });
  t.is(await w.c.queue.queue.getJob(jobIdFor(r.json.id, 0)), null, 'the delayed job is removed');
  const status = await (await fetch(`${w.base}/api/v1/callbacks/${r.json.id}?token=${encodeURIComponent(r.json.statusToken)}`)).json() as any;
  t.is(status.status, 'canceled');
  // Idempotent for the visitor.
  t.is((await w.post(`/api/v1/callbacks/${r.json.id}/cancel`, { token: r.json.statusToken })).status, 200);

  const s = await w.post('/api/v1/callbacks', callback('+1 202 555 0296'));
  const demoId = (await w.c.pool.query(`SELECT subscriber_id FROM callback_requests WHERE id = $1`, [s.json.id])).rows[0].subscriber_id;
  const otherId = await w.addSubscriber('cancel-other');
  await t.throwsAsync(cancelRequest(w.c.pool, w.c.bus, s.json.id, 'subscriber', otherId), { message: /No call-back request/ });
  t.deepEqual(await cancelRequest(w.c.pool, w.c.bus, s.json.id, 'subscriber', demoId), { id: s.json.id, status: 'canceled' });
  const history = (await w.c.pool.query(`SELECT to_status, reason FROM request_status_history WHERE request_id = $1 ORDER BY id`, [s.json.id])).rows;
  t.deepEqual(history.at(-1), { to_status: 'canceled', reason: 'canceled by the subscriber' });

  const dialing = await w.post('/api/v1/callbacks', callback('+1 202 555 0297'));
  await transitionRequest(w.c.pool, dialing.json.id, ['queued'], 'dialing', null);
  const busy = await w.post(`/api/v1/callbacks/${dialing.json.id}/cancel?token=${encodeURIComponent(dialing.json.statusToken)}`, {});
  t.is(busy.status, 409);
  t.is(busy.json.error.code, 'call_in_progress');
  await transitionRequest(w.c.pool, dialing.json.id, ['dialing'], 'completed', null);
  t.is((await w.post(`/api/v1/callbacks/${dialing.json.id}/cancel?token=${encodeURIComponent(dialing.json.statusToken)}`, {})).json.error.code, 'already_finished');
});
