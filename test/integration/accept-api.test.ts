import { randomUUID } from 'node:crypto';
import test from 'ava';
import { startStack, postJson, getJson, readReply, request, API_AUTH, type Stack } from '../helpers/stack.ts';

// The accept path's edge: bad input never reaches the database or the queue. No worker runs here.
let s: Stack;
test.before(async () => { s = await startStack({ label: 'accept', worker: false }); });
test.after.always(async () => { await s?.close(); });

const count = async () => Number((await s.c.pool.query('SELECT count(*) AS n FROM callback_requests')).rows[0].n);

test.serial('a valid request is committed before the 202 and queued with its id as job id', async (t) => {
  const r = await request(s.base, '(202) 555-0171');
  t.is(r.status, 202);
  t.is(r.json.status, 'queued');
  t.regex(r.json.statusUrl, new RegExp(`/api/v1/callbacks/${r.json.id}\\?token=`));
  const { rows } = await s.c.pool.query('SELECT phone_e164, page_url, source, status FROM callback_requests WHERE id = $1', [r.json.id]);
  t.deepEqual(rows[0], { phone_e164: '+12025550171', page_url: 'http://localhost/pricing', source: 'api', status: 'queued' });
  const job = await s.c.queue.queue.getJob(r.json.id);
  t.truthy(job);
  t.like(job!.data, { requestId: r.json.id, attempt: 0 });
  t.is(typeof job!.data.dueAt, 'number');
  const hist = await s.c.pool.query('SELECT to_status, reason FROM request_status_history WHERE request_id = $1', [r.json.id]);
  t.deepEqual(hist.rows, [{ to_status: 'queued', reason: 'accepted' }]);
});

test.serial('the call-back route answers with or without a trailing slash and in any case, and only to POST', async (t) => {
  const body = (phone: string) => ({ subscriber: 'demo', phone, consent: true, pageUrl: 'http://localhost/pricing' });
  for (const [path, phone] of [['/api/v1/callbacks/', '(202) 555-0191'], ['/API/v1/Callbacks', '(202) 555-0192']] as const) {
    const r = await postJson(s.base, path, body(phone), API_AUTH);
    t.is(r.status, 202, path);
    t.is(r.json.status, 'queued', path);
    t.truthy(await s.c.queue.queue.getJob(r.json.id), path);
  }
  const put = await readReply(await fetch(`${s.base}/api/v1/callbacks`, { method: 'PUT', headers: { 'content-type': 'application/json', ...API_AUTH }, body: JSON.stringify(body('(202) 555-0193')) }));
  t.is(put.status, 405);
  t.regex(put.headers.get('allow') ?? '', /POST/);
});

test.serial('malformed JSON is 400 malformed_json', async (t) => {
  const before = await count();
  const r = await postJson(s.base, '/api/v1/callbacks', '{"subscriber": "demo", "phone": ');
  t.is(r.status, 400);
  t.is(r.json.error.code, 'malformed_json');
  t.is(await count(), before);
});

test.serial('unknown subscriber is 404 subscriber_not_found', async (t) => {
  const r = await request(s.base, '+1 202 555 0171', { subscriber: 'nobody-here' });
  t.is(r.status, 404);
  t.is(r.json.error.code, 'subscriber_not_found');
});

test.serial('invalid and too-short numbers get a code per field', async (t) => {
  const before = await count();
  const short = await request(s.base, '12');
  t.is(short.status, 400);
  t.is(short.json.error.code, 'validation_failed');
  t.deepEqual(short.json.error.fields.map((f: any) => [f.field, f.code]), [['phone', 'phone_too_short']]);
  const bad = await request(s.base, '+1 202 555 01');
  t.is(bad.status, 400);
  t.is(bad.json.error.fields[0].field, 'phone');
  const junk = await request(s.base, 'call me maybe');
  t.is(junk.json.error.fields[0].code, 'phone_invalid');
  const missing = await postJson(s.base, '/api/v1/callbacks', { subscriber: 'demo' }, API_AUTH);
  t.deepEqual(missing.json.error.fields.map((f: any) => f.code).sort(), ['consent_required', 'phone_required']);
  t.is(await count(), before);
});

test.serial('an oversized body is refused with 413 before it is parsed', async (t) => {
  const r = await request(s.base, '+1 202 555 0171', { message: 'x'.repeat(2_000_000) });
  t.is(r.status, 413);
  t.is(r.json.error.code, 'body_too_large');
});

test.serial('status needs the token; a wrong token looks like a missing request', async (t) => {
  const r = await request(s.base, '+1 202 555 0172');
  const none = await getJson(s.base, `/api/v1/callbacks/${r.json.id}`);
  const wrong = await getJson(s.base, `/api/v1/callbacks/${r.json.id}?token=wrong`);
  const missing = await getJson(s.base, `/api/v1/callbacks/00000000-0000-4000-8000-000000000000?token=${r.json.statusToken}`);
  for (const x of [none, wrong, missing]) {
    t.is(x.status, 404);
    t.is(x.json.error.code, 'callback_not_found');
    t.false(x.text.includes('2025550172'));
  }
  const ok = await getJson(s.base, `/api/v1/callbacks/${r.json.id}?token=${encodeURIComponent(r.json.statusToken)}`);
  t.is(ok.status, 200);
  t.is(ok.json.status, 'queued');
  t.deepEqual(ok.json.attempts, []);
});

async function formToken(): Promise<string> {
  const html = await (await fetch(`${s.base}/c/demo`)).text();
  return /name="formToken" value="([^"]*)"/.exec(html)?.[1] ?? '';
}

test.serial('HTML in the name is escaped on the hosted status page and the form', async (t) => {
  const evil = '<script>alert(1)</script>';
  const form = await fetch(`${s.base}/c/demo`, {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ phone: '12', name: evil, consent: 'yes', formToken: await formToken() }).toString(),
  });
  t.is(form.status, 400);
  const html = await form.text();
  t.false(html.includes(evil));
  t.true(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  t.regex(html, /too short/);
  const ok = await fetch(`${s.base}/c/demo`, {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ phone: '202 555 0173', name: evil, consent: 'yes', pageUrl: 'http://localhost/x', formToken: await formToken() }).toString(),
  });
  t.is(ok.status, 303);
  const location = ok.headers.get('location')!;
  t.regex(location, /^\/c\/demo\/status\/[0-9a-f-]{36}\?token=/);
  const status = await fetch(s.base + location);
  const page = await status.text();
  t.is(status.status, 200);
  t.false(page.includes('<script>alert(1)'));
  const { rows } = await s.c.pool.query(`SELECT visitor_name, source FROM callback_requests WHERE phone_e164 = '+12025550173'`);
  t.deepEqual(rows[0], { visitor_name: evil, source: 'form' });
});

test.serial('hosted form shows the subscriber name and its departments', async (t) => {
  const r = await fetch(`${s.base}/c/demo`);
  const html = await r.text();
  t.is(r.status, 200);
  t.regex(html, /<form/);
  t.regex(html, /Demo Shop/);
  t.regex(html, /Sales/);
  t.regex(html, /Support/);
  t.false(/\+1202555/.test(html), 'department phone numbers are never shown');
  const missing = await fetch(`${s.base}/c/nobody`);
  t.is(missing.status, 404);
});

test.serial('unverified subscriber phone: request refused, nothing stored', async (t) => {
  await s.c.pool.query(`INSERT INTO subscribers (slug, name, country, phone_e164) VALUES ('fresh', 'Fresh Co', 'US', '+12025550181')`);
  const before = await count();
  const r = await request(s.base, '+1 202 555 0174', { subscriber: 'fresh' });
  t.is(r.status, 409);
  t.is(r.json.error.code, 'subscriber_not_verified');
  t.is(await count(), before);
});

test.serial('the open-request lookup sees exactly the open statuses (its SQL spells them out for the partial index)', async (t) => {
  const { findOpenRequests } = await import('../../src/requests/callback.repository.ts');
  const { OPEN_STATUSES } = await import('../../src/requests/callback.types.ts');
  const sub = (await s.c.pool.query(`SELECT id FROM subscribers WHERE slug = 'demo'`)).rows[0].id;
  const all = ['queued', 'scheduled', 'dialing', 'connected', 'completed', 'failed', 'expired', 'canceled'];
  const keys = [];
  for (const [i, status] of all.entries()) {
    const phone = `+1202555${String(3100 + i)}`;
    await s.c.pool.query(
      `INSERT INTO callback_requests (subscriber_id, phone_e164, status, token_hash) VALUES ($1, $2, $3, '\\x00')`, [sub, phone, status]);
    keys.push({ subscriberId: sub, phoneE164: phone, status });
  }
  const found = await findOpenRequests(s.c.pool, keys);
  const seen = keys.filter((k) => found.has(`${k.subscriberId}|${k.phoneE164}`)).map((k) => k.status);
  t.deepEqual(seen, [...OPEN_STATUSES]);
  // The accept path's INSERT (screening with the opt-outs in the same statement) finds the same requests, one
  // answer per row in order, and stores only the rows whose number had none open.
  const { insertRequestsIfClear } = await import('../../src/requests/callback.repository.ts');
  const screened = await insertRequestsIfClear(s.c.pool, [...keys].reverse().map((k) => newRow(k.subscriberId, k.phoneE164)));
  t.deepEqual(screened.map((x) => x.open?.status ?? null), [...keys].reverse().map((k) => (OPEN_STATUSES as readonly string[]).includes(k.status) ? k.status : null));
  t.deepEqual(screened.map((x) => x.open?.id ?? null), [...keys].reverse().map((k) => found.get(`${k.subscriberId}|${k.phoneE164}`)?.id ?? null));
  t.true(screened.every((x) => x.optedOut === false));
  const perNumber = await s.c.pool.query(`SELECT phone_e164, count(*)::int AS n FROM callback_requests WHERE phone_e164 = ANY($1) GROUP BY 1`, [keys.map((k) => k.phoneE164)]);
  t.deepEqual(Object.fromEntries(perNumber.rows.map((r) => [r.phone_e164, r.n])),
    Object.fromEntries(keys.map((k) => [k.phoneE164, (OPEN_STATUSES as readonly string[]).includes(k.status) ? 1 : 2])));
});

/** A request row as the accept path hands it to insertRequestsIfClear. */
function newRow(subscriberId: string, phoneE164: string) {
  return {
    id: randomUUID(), subscriberId, departmentId: null, phoneE164, visitorName: null, message: null, pageUrl: null, referrer: null,
    ip: null, userAgent: null, source: 'api' as const, scheduledAt: null, status: 'queued' as const, tokenHash: Buffer.from([0]),
  };
}

test.serial('the INSERT screens do-not-call, the subscriber\'s opt-outs and the open request per row, repeated numbers included, and stores only the clear ones', async (t) => {
  const { insertRequestsIfClear } = await import('../../src/requests/callback.repository.ts');
  const sub = (await s.c.pool.query(`SELECT id FROM subscribers WHERE slug = 'demo'`)).rows[0].id;
  const other = (await s.c.pool.query(`INSERT INTO subscribers (slug, name, country) VALUES ('screen-other', 'Other', 'US') RETURNING id`)).rows[0].id;
  await s.c.pool.query(`INSERT INTO do_not_call (phone_e164, source) VALUES ('+12025553301', 'operator')`);
  await s.c.pool.query(`INSERT INTO subscriber_opt_outs (subscriber_id, phone_e164) VALUES ($1, '+12025553302')`, [sub]);
  const open = (await s.c.pool.query(
    `INSERT INTO callback_requests (subscriber_id, phone_e164, status, token_hash, ip, user_agent) VALUES ($1, '+12025553303', 'queued', '\\x00', '10.1.2.3', 'UA') RETURNING id`, [sub])).rows[0].id;
  const keys = [
    { subscriberId: sub, phoneE164: '+12025553301' }, { subscriberId: other, phoneE164: '+12025553301' },
    { subscriberId: sub, phoneE164: '+12025553302' }, { subscriberId: other, phoneE164: '+12025553302' },
    { subscriberId: sub, phoneE164: '+12025553303' }, { subscriberId: sub, phoneE164: '+12025553303' },
    { subscriberId: other, phoneE164: '+12025553303' }, { subscriberId: sub, phoneE164: '+12025553304' },
  ];
  const rowsIn = keys.map((k) => newRow(k.subscriberId, k.phoneE164));
  const screened = await insertRequestsIfClear(s.c.pool, rowsIn);
  t.deepEqual(screened.map((x) => x.optedOut), [true, true, true, false, false, false, false, false]);
  const expected = { id: open, status: 'queued', ip: '10.1.2.3', userAgent: 'UA' };
  t.deepEqual(screened.map((x) => x.open), [null, null, null, null, expected, expected, null, null]);
  const stored = await s.c.pool.query(
    `SELECT r.id, (SELECT count(*)::int FROM request_status_history h WHERE h.request_id = r.id AND h.reason = 'accepted') AS accepted
       FROM callback_requests r WHERE r.id = ANY($1::uuid[])`, [rowsIn.map((r) => r.id)]);
  t.deepEqual(new Set(stored.rows.map((r) => r.id)), new Set([rowsIn[3]!.id, rowsIn[6]!.id, rowsIn[7]!.id]));
  t.true(stored.rows.every((r) => r.accepted === 1));
  t.deepEqual(await insertRequestsIfClear(s.c.pool, []), []);
});

test.serial('concurrent requests share INSERTs yet each is committed with its own row, history and job', async (t) => {
  const before = await count();
  const phones = Array.from({ length: 40 }, (_, i) => `(202) 555-${String(3200 + i)}`);
  const answers = await Promise.all(phones.map((p) => request(s.base, p)));
  t.true(answers.every((r) => r.status === 202), JSON.stringify(answers.find((r) => r.status !== 202)?.json));
  t.is(await count(), before + phones.length);
  const ids = answers.map((r) => r.json.id);
  t.is(new Set(ids).size, ids.length);
  const { rows } = await s.c.pool.query(
    `SELECT count(*)::int AS n FROM request_status_history WHERE request_id = ANY($1::uuid[]) AND reason = 'accepted'`, [ids]);
  t.is(rows[0].n, ids.length);
  const { rows: marked } = await s.c.pool.query(`SELECT count(*)::int AS n FROM callback_requests WHERE id = ANY($1::uuid[]) AND enqueued_at IS NOT NULL`, [ids]);
  t.is(marked[0].n, ids.length);
  for (const id of ids) t.truthy(await s.c.queue.queue.getJob(id));
});

test.serial('a request committed but whose job never reached Redis (process died in between) is enqueued by the schedule recovery', async (t) => {
  const { recoverScheduled } = await import('../../src/schedule/schedule-recovery.ts');
  const r = await request(s.base, '(202) 555-0177');
  t.is(r.status, 202);
  // What a crash between the commit and the queue add leaves: the row, marked as handed over, and no job.
  await (await s.c.queue.queue.getJob(r.json.id))!.remove();
  t.falsy(await s.c.queue.queue.getJob(r.json.id));
  const restored = await recoverScheduled({ pool: s.c.pool, queue: s.c.queue, log: s.c.log, graceMs: 0 });
  t.true(restored >= 1);
  const job = await s.c.queue.queue.getJob(r.json.id);
  t.like(job?.data, { requestId: r.json.id, attempt: 0 });
});
