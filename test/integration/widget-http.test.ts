import test from 'ava';
import { SLOT_LEAD_MS } from '../../src/widget/widget.routes.ts';
import { gzipSync } from 'node:zlib';
import { DateTime } from 'luxon';
import { startStack, postJson, API_AUTH, type Stack } from '../helpers/stack.ts';
import { insertDomain, insertSubscriber } from '../../src/subscribers/subscriber.repository.ts';
import { mergeSettings } from '../helpers/subscribers.ts';

let s: Stack;
test.before(async () => {
  s = await startStack({ label: 'widgethttp', worker: false, env: { RATE_LIMITS_ENABLED: 'false' } });
  const acme = await insertSubscriber(s.c.pool, { slug: 'acme', name: 'Acme', country: 'FR', timezone: 'Europe/Paris', phoneE164: '+33144556677', phoneVerified: true });
  await insertDomain(s.c.pool, acme.id, '*.acme.test');
  // Weekdays 09:00-17:00 New York time.
  const weekly = Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [{ open: '09:00', close: '17:00' }]]));
  await mergeSettings(s, { hours: { weekly, holidays: [] } });
});
test.after.always(async () => { await s?.close(); });

const fetchWith = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) => fetch(s.base + path, init);
const countRequests = async () => Number((await s.c.pool.query(`SELECT count(*) FROM callback_requests`)).rows[0].count);

test('loader is short-cached and points at the immutable, content-hashed bundle (≤ 15 KB gzipped together)', async (t) => {
  const loader = await fetchWith('/widget.js');
  t.is(loader.status, 200);
  t.regex(loader.headers.get('content-type')!, /javascript/);
  t.is(loader.headers.get('cache-control'), 'public, max-age=300');
  t.is(loader.headers.get('cross-origin-resource-policy'), 'cross-origin');
  const src = await loader.text();
  const file = /widget\/(widget-[0-9a-f]+\.js)/.exec(src)?.[1];
  t.truthy(file);
  const bundle = await fetchWith(`/widget/${file}`);
  t.is(bundle.status, 200);
  t.is(bundle.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  t.is(bundle.headers.get('cross-origin-resource-policy'), 'cross-origin');
  const code = await bundle.text();
  t.true(gzipSync(src).length + gzipSync(code).length <= 15 * 1024);
  t.is((await fetchWith('/widget/widget-0000000000000000.js')).status, 404);
});

test('slots: only inside business hours, on the half hour, in the next 7 days', async (t) => {
  const r = await fetchWith('/api/v1/slots?subscriber=demo&days=7');
  t.is(r.status, 200);
  const j = await r.json() as any;
  t.is(j.timezone, 'America/New_York');
  t.true(j.slots.length > 0);
  const now = Date.now();
  for (const iso of j.slots) {
    const d = DateTime.fromISO(iso, { zone: 'America/New_York' });
    t.true(d.weekday <= 5, iso);
    t.true(d.hour >= 9 && d.hour < 17, iso);
    t.true(d.minute === 0 || d.minute === 30, iso);
    // The window is `days` long from the earliest time a slot may start (now + the lead time).
    t.true(d.toMillis() >= now + 14 * 60_000 && d.toMillis() <= now + SLOT_LEAD_MS + 7 * 86_400_000, iso);
  }
  t.is((await fetchWith('/api/v1/slots?subscriber=nobody')).status, 404);
  t.is((await fetchWith('/api/v1/slots?subscriber=demo&days=99')).status, 400);
});

test('CORS: registered origins may read; others get no Access-Control-Allow-Origin; Vary: Origin', async (t) => {
  const ok = await fetchWith('/api/v1/slots?subscriber=demo', { headers: { Origin: 'http://localhost:5555' } });
  t.is(ok.headers.get('access-control-allow-origin'), 'http://localhost:5555');
  t.regex(ok.headers.get('vary') ?? '', /Origin/);
  t.is(ok.headers.get('access-control-allow-credentials'), null);
  const wild = await fetchWith('/api/v1/slots?subscriber=acme', { headers: { Origin: 'https://shop.acme.test' } });
  t.is(wild.headers.get('access-control-allow-origin'), 'https://shop.acme.test');
  const evil = await fetchWith('/api/v1/slots?subscriber=demo', { headers: { Origin: 'https://evil.example' } });
  t.is(evil.status, 200);
  t.is(evil.headers.get('access-control-allow-origin'), null);
  const bare = await fetchWith('/api/v1/slots?subscriber=demo', { headers: { Origin: 'https://acme.test' } }); // wildcard does not cover the apex
  t.is(bare.headers.get('access-control-allow-origin'), null);

  const pre = await fetchWith('/api/v1/callbacks', { method: 'OPTIONS', headers: { Origin: 'http://localhost:5555', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' } });
  t.is(pre.status, 204);
  t.is(pre.headers.get('access-control-allow-origin'), 'http://localhost:5555');
  t.regex(pre.headers.get('access-control-allow-headers') ?? '', /Content-Type/i);
  const preEvil = await fetchWith('/api/v1/callbacks', { method: 'OPTIONS', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' } });
  t.is(preEvil.status, 403);
  t.is(preEvil.headers.get('access-control-allow-origin'), null);
});

test('CORS: a browser may submit only from a domain of the subscriber it names; servers with the API credential still can', async (t) => {
  const formToken = async () => (await (await fetchWith('/api/v1/form-token?subscriber=demo')).json() as any).token as string;
  const body = { subscriber: 'demo', phone: '+1 202 555 0143', consent: true, source: 'widget', pageUrl: 'http://localhost/x', formToken: await formToken() };
  const before = await countRequests();
  const evil = await postJson(s.base, '/api/v1/callbacks', body, { Origin: 'https://evil.example' });
  t.is(evil.status, 403);
  t.is(evil.json.error.code, 'origin_not_allowed');
  const other = await postJson(s.base, '/api/v1/callbacks', body, { Origin: 'https://shop.acme.test' });
  t.is(other.status, 403, 'acme\'s site cannot make Beckon call in demo\'s name');
  t.is(await countRequests(), before, 'nothing stored for refused origins');

  const own = await postJson(s.base, '/api/v1/callbacks', { ...body, formToken: await formToken() }, { Origin: 'http://localhost:5555' });
  t.is(own.status, 202, own.text);
  t.is(own.headers.get('access-control-allow-origin'), 'http://localhost:5555');
  const { rows } = await s.c.pool.query(`SELECT source, page_url FROM callback_requests WHERE id = $1`, [own.json.id]);
  t.is(rows[0].source, 'widget');
  t.is(rows[0].page_url, 'http://localhost/x');
  // Field errors from a permitted origin are readable by the widget.
  const bad = await postJson(s.base, '/api/v1/callbacks', { ...body, phone: '123', formToken: await formToken() }, { Origin: 'http://localhost:5555' });
  t.is(bad.status, 400);
  t.is(bad.headers.get('access-control-allow-origin'), 'http://localhost:5555');

  const curl = await postJson(s.base, '/api/v1/callbacks', { ...body, phone: '+1 202 555 0144', source: undefined, formToken: undefined }, API_AUTH);
  t.is(curl.status, 202);
  t.is(await countRequests(), before + 2);
});
