import test from 'ava';
import { startStack, getJson, API_AUTH, type Stack } from '../helpers/stack.ts';
import { insertDepartment, insertDomain, insertSubscriber } from '../../src/subscribers/subscriber.repository.ts';
import { mergeSettings } from '../helpers/subscribers.ts';

let s: Stack;
test.before(async () => {
  s = await startStack({ label: 'directory', worker: false });
  const other = await insertSubscriber(s.c.pool, {
    slug: 'wild', name: 'Wild Corp', country: 'FR', timezone: 'Europe/Paris', phoneE164: '+33123456789', phoneVerified: true,
    settings: { skin: { primaryColor: '#112233', buttonText: 'Rappelez-moi', language: 'fr', position: 'bottom-left' }, answeredBy: 'phone', hours: { weekly: {}, holidays: [] } },
  });
  await insertDomain(s.c.pool, other.id, '*.wild.example');
  await insertDepartment(s.c.pool, { subscriberId: other.id, name: 'Ventes', phoneE164: '+33123456780', verified: true });
  await insertDepartment(s.c.pool, { subscriberId: other.id, name: 'Pas encore', phoneE164: '+33123456781', verified: false });
  const exact = await insertSubscriber(s.c.pool, { slug: 'exact', name: 'Exact Shop', country: 'US', timezone: 'UTC', phoneE164: '+12025550111', phoneVerified: true });
  await insertDomain(s.c.pool, exact.id, 'shop.wild.example');
  // Exact Shop's recent history: six immediate requests first dialed 90 s … 600 s after they were made.
  for (const [i, waitSec] of [90, 100, 110, 120, 130, 600].entries()) {
    const { rows: [r] } = await s.c.pool.query(
      `INSERT INTO callback_requests (subscriber_id, phone_e164, status, token_hash, created_at, finished_at)
       VALUES ($1, $2, 'completed', '\\x00', now() - interval '2 hours', now()) RETURNING id, created_at`, [exact.id, `+1202555${4100 + i}`]);
    await s.c.pool.query(
      `INSERT INTO call_attempts (request_id, n, state, outcome, started_at, ended_at) VALUES ($1, 1, 'ended', 'answered', $2::timestamptz + make_interval(secs => $3), now())`,
      [r.id, r.created_at, waitSec]);
  }
  const suspended = await insertSubscriber(s.c.pool, { slug: 'gone', name: 'Gone', country: 'US', timezone: 'UTC', phoneE164: '+12025550112', phoneVerified: true });
  await insertDomain(s.c.pool, suspended.id, 'gone.example');
  await s.c.pool.query(`UPDATE subscribers SET status = 'suspended' WHERE id = $1`, [suspended.id]);
});
test.after.always(async () => { await s?.close(); });

const dir = (url: string, headers: Record<string, string> = {}) => fetch(`${s.base}/api/v1/directory?url=${encodeURIComponent(url)}`, { headers });

test('the demo host resolves to the demo subscriber with departments, skin, hours; no phone numbers', async (t) => {
  const r = await getJson(s.base, `/api/v1/directory?url=${encodeURIComponent(`${s.base}/some/page`)}`);
  t.is(r.status, 200);
  t.deepEqual(r.json.subscriber, { slug: 'demo', name: 'Demo Shop', country: 'US', timezone: 'America/New_York' });
  t.deepEqual(r.json.departments.map((d: any) => d.name), ['Sales', 'Support']);
  t.deepEqual(Object.keys(r.json.departments[0]).sort(), ['id', 'name']);
  t.deepEqual(r.json.skin, { primaryColor: '#0b5fff', textColor: '#ffffff', buttonText: 'Call me back', position: 'bottom-right', logoUrl: null, language: 'en' });
  t.is(r.json.open, true);
  t.is(r.json.nextOpening, null);
  t.is(r.json.answeredBy, 'phone');
  t.notRegex(r.text, /\+\d{8,}/);
  t.notRegex(r.text, /2025550/);
  t.is(r.headers.get('cache-control'), 'public, max-age=60');
  t.truthy(r.headers.get('etag'));
});

test('a conditional request from another page of the same site gets 304 without a body; a changed skin gets a new ETag', async (t) => {
  const first = await dir('http://shop.wild.example/a');
  const etag = first.headers.get('etag')!;
  const again = await dir('http://shop.wild.example:8080/b/c?d=e', { 'if-none-match': etag });
  t.is(again.status, 304);
  t.is(await again.text(), '');
  t.is(again.headers.get('etag'), etag);
  await mergeSettings(s, { skin: { buttonText: 'Ring me' } }, 'exact');
  const changed = await dir('http://shop.wild.example/a', { 'if-none-match': etag });
  t.is(changed.status, 200);
  t.not(changed.headers.get('etag'), etag);
  t.is((await changed.json() as any).skin.buttonText, 'Ring me');
});

test('wildcards: any subdomain depth; an exact host of another subscriber wins; the bare domain is not covered', async (t) => {
  const a = await (await dir('https://blog.wild.example/x')).json() as any;
  t.is(a.subscriber.slug, 'wild');
  t.deepEqual(a.skin, { primaryColor: '#112233', textColor: '#ffffff', buttonText: 'Rappelez-moi', position: 'bottom-left', logoUrl: null, language: 'fr' });
  // Only the verified department is offered; hours set with no open day: closed, never opening.
  t.deepEqual(a.departments.map((d: any) => d.name), ['Ventes']);
  t.is(a.open, false);
  t.is(a.nextOpening, null);
  t.is((await (await dir('https://a.b.wild.example/')).json() as any).subscriber.slug, 'wild');
  t.is((await (await dir('https://shop.wild.example/')).json() as any).subscriber.name, 'Exact Shop');
  t.is((await dir('https://wild.example/')).status, 404);
});

test('unregistered, suspended, malformed and non-http URLs', async (t) => {
  const none = await getJson(s.base, `/api/v1/directory?url=${encodeURIComponent('https://not-registered.example.org/')}`);
  t.is(none.status, 404);
  t.is(none.json.error.code, 'not_registered');
  t.is((await dir('https://gone.example/')).status, 404);
  t.is((await dir('javascript:alert(1)')).status, 404);
  const missing = await getJson(s.base, '/api/v1/directory');
  t.is(missing.status, 400);
  t.is(missing.json.error.code, 'validation_failed');
  t.is((await getJson(s.base, `/api/v1/directory?url=${'x'.repeat(3000)}`)).status, 400);
});

test('hours in the subscriber time zone: closed now gives the next opening', async (t) => {
  // Open only on a day other than today (in UTC), 10:00-11:00.
  const days = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
  const tomorrow = days[(new Date().getUTCDay() + 1) % 7]!;
  const sub = await insertSubscriber(s.c.pool, {
    slug: 'hours', name: 'Hours', country: 'US', timezone: 'UTC', phoneE164: '+12025550113', phoneVerified: true,
    settings: { hours: { weekly: { [tomorrow]: [{ open: '10:00', close: '11:00' }] }, holidays: [] } },
  });
  await insertDomain(s.c.pool, sub.id, 'hours.example');
  const j = await (await dir('https://hours.example/')).json() as any;
  t.false(j.open);
  const next = new Date(j.nextOpening);
  t.is(next.getUTCHours(), 10);
  t.is(next.getUTCDay(), (new Date().getUTCDay() + 1) % 7);
});

test('the typical wait: the directory of an open subscriber gives the median time to first dial, and a queued request its remaining wait', async (t) => {
  const r = await getJson(s.base, `/api/v1/directory?url=${encodeURIComponent('https://shop.wild.example/contact')}`);
  t.is(r.status, 200);
  t.is(r.json.subscriber.slug, 'exact');
  t.is(r.json.waitEstimateMin, 2); // median 115 s, rounded up to the minute
  // The demo subscriber has no history: no estimate rather than a guess.
  const demo = await getJson(s.base, `/api/v1/directory?url=${encodeURIComponent(`${s.base}/x`)}`);
  t.is(demo.json.waitEstimateMin, null);

  const made = await fetch(`${s.base}/api/v1/callbacks`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...API_AUTH },
    body: JSON.stringify({ subscriber: 'exact', phone: '+1 202 555 0163', pageUrl: 'https://shop.wild.example/contact', consent: true }),
  });
  const created = await made.json() as { id: string; statusToken: string };
  t.is(made.status, 202);
  const status = await (await fetch(`${s.base}/api/v1/callbacks/${created.id}?token=${encodeURIComponent(created.statusToken)}`)).json() as { status: string; estimatedWaitSec: number | null };
  t.is(status.status, 'queued');
  t.true(status.estimatedWaitSec !== null && status.estimatedWaitSec > 60 && status.estimatedWaitSec <= 120, String(status.estimatedWaitSec));
});
