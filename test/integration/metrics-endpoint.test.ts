import test from 'ava';
import { startStack, API_AUTH, type Stack } from '../helpers/stack.ts';

const TOKEN = 'metrics-token-for-tests-0123456789';
let s: Stack;
test.before(async () => {
  // TRUST_PROXY lets the test present itself from other addresses through X-Forwarded-For.
  s = await startStack({ label: 'metrics', worker: false, env: { METRICS_TOKEN: TOKEN, METRICS_ALLOW: 'loopback', TRUST_PROXY: 'true', RATE_LIMITS_ENABLED: 'false' } });
});
test.after.always(async () => { await s?.close(); });

const scrape = (headers: Record<string, string> = {}) => fetch(`${s.base}/metrics`, { headers });

test('loopback reads the metrics without credentials; a remote address needs the bearer token', async (t) => {
  const local = await scrape();
  t.is(local.status, 200);
  t.regex(local.headers.get('content-type') ?? '', /text\/plain/);
  const remote = await scrape({ 'x-forwarded-for': '203.0.113.50', accept: 'application/json' });
  t.is(remote.status, 401);
  t.is((await remote.json()).error.code, 'metrics_forbidden');
  t.is((await scrape({ 'x-forwarded-for': '203.0.113.50', authorization: 'Bearer nope' })).status, 401);
  const withToken = await scrape({ 'x-forwarded-for': '203.0.113.50', authorization: `Bearer ${TOKEN}` });
  t.is(withToken.status, 200);
  t.regex(await withToken.text(), /# TYPE beckon_callback_requests_total counter/);
});

test('accepted and refused requests are counted by reason; queue depth is read from Redis', async (t) => {
  const post = (body: unknown) => fetch(`${s.base}/api/v1/callbacks`, { method: 'POST', headers: { 'content-type': 'application/json', ...API_AUTH }, body: JSON.stringify(body) });
  const ok = await post({ subscriber: 'demo', phone: '+1 202 555 0141', consent: true });
  t.is(ok.status, 202);
  const unknown = await post({ subscriber: 'no-such-shop', phone: '+1 202 555 0141', consent: true });
  t.is(unknown.status, 404);
  const bad = await post({ subscriber: 'demo', phone: 'call me maybe', consent: true });
  t.is(bad.status, 400);
  const text = await (await scrape()).text();
  const value = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
  t.true(value(/beckon_callback_requests_total\{[^}]*result="accepted"[^}]*\} (\d+)/) >= 1);
  t.true(value(/beckon_callback_requests_total\{[^}]*result="refused",reason="subscriber_not_found"[^}]*\} (\d+)/) >= 1);
  t.true(value(/beckon_callback_requests_total\{[^}]*result="refused",reason="validation_failed"[^}]*\} (\d+)/) >= 1);
  // no worker runs here: the accepted request waits on the queue
  t.true(value(/beckon_queue_jobs\{[^}]*state="waiting"[^}]*\} (\d+)/) >= 1);
  t.regex(text, /# TYPE beckon_active_calls gauge/);
  t.regex(text, /# TYPE beckon_ari_reconnects_total counter/);
  t.regex(text, /# TYPE beckon_queue_wait_seconds histogram/);
});

test("a standalone worker's metrics server applies the same access rules", async (t) => {
  const { startMetricsServer } = await import('../../src/observability/metrics-server.ts');
  const open = await startMetricsServer({ port: 0, host: '127.0.0.1', token: undefined, allow: 'loopback' });
  t.teardown(() => open.close());
  const r = await fetch(`http://127.0.0.1:${open.port}/metrics`);
  t.is(r.status, 200);
  t.regex(await r.text(), /# TYPE beckon_dial_outcomes_total counter/);
  t.is((await fetch(`http://127.0.0.1:${open.port}/other`)).status, 404);
  const closed = await startMetricsServer({ port: 0, host: '127.0.0.1', token: TOKEN, allow: '' });
  t.teardown(() => closed.close());
  t.is((await fetch(`http://127.0.0.1:${closed.port}/metrics`)).status, 401);
  t.is((await fetch(`http://127.0.0.1:${closed.port}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
});
