import test from 'ava';
import { randomBytes } from 'node:crypto';
import { startPolicyWeb, type PolicyWeb } from '../helpers/policy-web.ts';
import { API_AUTH } from '../helpers/stack.ts';
import { redeemTicket, listExpiredTicketRequests } from '../../src/webcalls/ticket.repository.ts';
import { ticketHash } from '../../src/webcalls/ticket.ts';
import { expireUnredeemed } from '../../src/webcalls/ticket-expiry.ts';

let w: PolicyWeb;
test.before(async () => {
  w = await startPolicyWeb('webcalls', {
    WEBCALL_ENABLED: 'true', WEBCALL_ICE_SERVERS: '[{"urls":"stun:stun.example:3478"}]',
    LIMIT_PER_IP: '4/600', LIMIT_NUMBERS_PER_VISITOR: '2/3600', ARI_URL: 'http://pbx.example:8088',
  });
});
test.after.always(async () => { await w?.close(); });

const vid = () => randomBytes(12).toString('base64url');
const webcall = (extra: Record<string, unknown> = {}) => ({ subscriber: 'demo', visitorId: vid(), name: 'Web Visitor', pageUrl: 'https://shop.example/pricing', ...extra });
const ip = (() => { let n = 1; return () => `203.0.113.${n++}`; })();
const postCall = (body: unknown, from = ip(), headers: Record<string, string> = API_AUTH) => w.post('/api/v1/webcalls', body, from, headers);

test('a web call is issued: 201 with a single-use ticket, where to call, ICE servers and a status URL; only the ticket hash is stored', async (t) => {
  const r = await postCall(webcall({ message: 'About my order' }));
  t.is(r.status, 201, r.text);
  const o = r.json;
  t.regex(o.ticket, /^[A-Za-z0-9_-]{43}$/);
  t.is(o.wsUrl, 'ws://pbx.example:8088/ws');
  t.is(o.sipUri, 'sip:callback@pbx.example');
  t.deepEqual(o.iceServers, [{ urls: 'stun:stun.example:3478' }]);
  const ttl = Date.parse(o.expiresAt) - Date.now();
  t.true(ttl > 50_000 && ttl <= 61_000, String(ttl));
  t.true(o.statusUrl.startsWith(`${w.base}/api/v1/callbacks/${o.requestId}?token=`));
  t.is(r.headers.get('cache-control'), 'no-store');
  const req = (await w.c.pool.query(`SELECT kind, phone_e164, status, visitor_name, message, enqueued_at FROM callback_requests WHERE id = $1`, [o.requestId])).rows[0];
  t.like(req, { kind: 'webcall', phone_e164: null, status: 'queued', visitor_name: 'Web Visitor', message: 'About my order' });
  const tickets = (await w.c.pool.query(`SELECT token_hash, visitor_id, redeemed_at FROM webcall_tickets WHERE request_id = $1`, [o.requestId])).rows;
  t.is(tickets.length, 1);
  t.deepEqual(tickets[0].token_hash, ticketHash(o.ticket));
  t.false(JSON.stringify(tickets).includes(o.ticket));
  // The status page follows it like a call-back.
  const status = await fetch(o.statusUrl);
  t.is(status.status, 200);
  t.is((await status.json() as { status: string }).status, 'queued');
  // No dial job: the browser's call starts it, not the queue.
  t.is(await w.c.queue.queue.getJob(o.requestId), null);
});

test('a ticket is redeemed once; unknown, malformed and reused tickets are refused with their reason', async (t) => {
  const o = (await postCall(webcall())).json;
  const visitor = (await w.c.pool.query(`SELECT visitor_id FROM webcall_tickets WHERE request_id = $1`, [o.requestId])).rows[0].visitor_id;
  const [a, b] = await Promise.all([redeemTicket(w.c.pool, o.ticket), redeemTicket(w.c.pool, o.ticket)]);
  const won = [a, b].filter((r) => r.ok);
  t.is(won.length, 1, 'exactly one of two concurrent redemptions wins');
  t.like(won[0], { ok: true, ticket: { requestId: o.requestId, visitorId: visitor } });
  t.like([a, b].find((r) => !r.ok), { ok: false, reason: 'reused', requestId: o.requestId });
  t.like(await redeemTicket(w.c.pool, randomBytes(32).toString('base64url')), { ok: false, reason: 'unknown' });
  t.like(await redeemTicket(w.c.pool, ''), { ok: false, reason: 'malformed' });
  t.like(await redeemTicket(w.c.pool, 'x'.repeat(200)), { ok: false, reason: 'malformed' });
  // A forged ticket naming a real request id is just unknown.
  t.like(await redeemTicket(w.c.pool, o.requestId), { ok: false, reason: 'malformed' });
});

test('an expired ticket is refused and its request ends expired, lazily or by the sweep', async (t) => {
  const o = (await postCall(webcall())).json;
  const p = (await postCall(webcall())).json;
  await w.c.pool.query(`UPDATE webcall_tickets SET expires_at = now() - interval '1 second' WHERE request_id = ANY($1::uuid[])`, [[o.requestId, p.requestId]]);
  t.like(await redeemTicket(w.c.pool, o.ticket), { ok: false, reason: 'expired', requestId: o.requestId });
  t.true((await listExpiredTicketRequests(w.c.pool, 100)).includes(p.requestId));
  t.true(await expireUnredeemed(w.c.pool, w.c.log) >= 2);
  const statuses = (await w.c.pool.query(`SELECT status, status_reason FROM callback_requests WHERE id = ANY($1::uuid[])`, [[o.requestId, p.requestId]])).rows;
  t.deepEqual(statuses, [{ status: 'expired', status_reason: 'ticket_expired' }, { status: 'expired', status_reason: 'ticket_expired' }]);
  t.deepEqual(await listExpiredTicketRequests(w.c.pool, 100), []);
});

test.serial('refusals: as a call-back request, with clear codes, and nothing stored', async (t) => {
  const before = Number((await w.c.pool.query(`SELECT count(*) FROM callback_requests WHERE kind = 'webcall'`)).rows[0].count);
  const cases: [unknown, number, string, Record<string, string>?][] = [
    [{ subscriber: 'demo' }, 400, 'validation_failed'],
    [webcall({ visitorId: 'short' }), 400, 'validation_failed'],
    [webcall({ subscriber: 'nobody-here' }), 404, 'subscriber_not_found'],
    [webcall({ department: 'No Such Desk' }), 400, 'validation_failed'],
    [webcall({ website: 'http://spam.example' }), 400, 'spam_suspected'],
    // Without the API credential a form token is needed, whatever the client claims to be.
    [webcall({ source: 'widget' }), 400, 'form_token_missing', {}],
    [webcall({ formToken: 'forged.token' }), 400, 'form_token_invalid', {}],
  ];
  for (const [body, status, code, headers] of cases) {
    const r = await postCall(body, ip(), headers ?? API_AUTH);
    t.is(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
    if (code !== 'validation_failed') t.is(r.json.error.code, code, JSON.stringify(body));
  }
  t.is(Number((await w.c.pool.query(`SELECT count(*) FROM callback_requests WHERE kind = 'webcall'`)).rows[0].count), before);
});

test('a closed business, a suspended subscriber and an unverified one are refused', async (t) => {
  const allWeek = Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, []]));
  await w.addSubscriber('shut-shop', { hours: { weekly: allWeek, holidays: [] } });
  const closed = await postCall(webcall({ subscriber: 'shut-shop' }));
  t.is(closed.status, 409, closed.text);
  t.is(closed.json.error.code, 'closed');
  const id = await w.addSubscriber('gone-shop');
  await w.c.pool.query(`UPDATE subscribers SET status = 'suspended' WHERE id = $1`, [id]);
  const suspended = await postCall(webcall({ subscriber: 'gone-shop' }));
  t.is(suspended.status, 403);
  t.is(suspended.json.error.code, 'subscriber_suspended');
  const unverified = await w.addSubscriber('new-shop');
  await w.c.pool.query(`UPDATE subscribers SET phone_verified_at = NULL WHERE id = $1`, [unverified]);
  const r = await postCall(webcall({ subscriber: 'new-shop' }));
  t.is(r.status, 409);
  t.is(r.json.error.code, 'subscriber_not_verified');
});

test('a form token is used once, and the per-IP and per-visitor limits count web calls', async (t) => {
  const from = '203.0.113.200';
  const token = (await (await fetch(`${w.base}/api/v1/form-token?subscriber=demo`, { headers: { 'x-forwarded-for': from } })).json() as { token: string }).token;
  const first = await postCall(webcall({ formToken: token, source: 'widget' }), from, {});
  t.is(first.status, 201, first.text);
  const again = await postCall(webcall({ formToken: token, source: 'widget' }), from, {});
  t.is(again.status, 409);
  t.is(again.json.error.code, 'form_token_used');
  // LIMIT_PER_IP is 4 per 10 minutes: two more pass, the fifth is refused.
  t.is((await postCall(webcall(), from)).status, 201);
  t.is((await postCall(webcall(), from)).status, 201);
  const over = await postCall(webcall(), from);
  t.is(over.status, 429);
  t.is(over.json.error.code, 'ip_rate_limited');
  // One visitor who already asked for two numbers has no destination left for a web call.
  const visitorId = vid();
  for (const phone of ['+1 202 555 0171', '+1 202 555 0172']) {
    t.is((await w.post('/api/v1/callbacks', { subscriber: 'demo', phone, consent: true, visitorId }, ip())).status, 202);
  }
  const visitor = await postCall(webcall({ visitorId }));
  t.is(visitor.status, 429);
  t.is(visitor.json.error.code, 'visitor_rate_limited');
});

test('web calls switched off: 404 webcalls_disabled', async (t) => {
  const off = await startPolicyWeb('webcalls-off');
  try {
    const r = await off.post('/api/v1/webcalls', webcall(), '203.0.113.250', API_AUTH);
    t.is(r.status, 404);
    t.is(r.json.error.code, 'webcalls_disabled');
  } finally { await off.close(); }
});
