import test from 'ava';
import { signatureHeader, verifySignature, newWebhookSecret } from '../../src/webhooks/signature.ts';
import { afterFailure, retryDelayMs, DEFAULT_RETRY_RULES } from '../../src/webhooks/retry-schedule.ts';
import { checkEndpointUrl } from '../../src/webhooks/endpoint-url.ts';
import { historyEvents } from '../../src/webhooks/event-feed.ts';

test('the signature covers time and body; any v1 of a secret verifies; a stale t does not', (t) => {
  const now = 1_800_000_000;
  const h = signatureHeader(['a', 'b'], '{"x":1}', now);
  t.regex(h, /^t=1800000000,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
  t.true(verifySignature(h, '{"x":1}', 'a', { nowSec: now }));
  t.true(verifySignature(h, '{"x":1}', 'b', { nowSec: now + 299 }));
  t.false(verifySignature(h, '{"x":2}', 'a', { nowSec: now }));
  t.false(verifySignature(h, '{"x":1}', 'c', { nowSec: now }));
  t.false(verifySignature(h, '{"x":1}', 'a', { nowSec: now + 301 }), 'replayed too late');
  t.false(verifySignature(h.replace('t=1800000000', 't=1800000001'), '{"x":1}', 'a', { nowSec: now }), 't is signed');
  t.not(newWebhookSecret(), newWebhookSecret());
});

test('back-off doubles up to its cap; a delivery is given up past its window; an endpoint is disabled past its own', (t) => {
  t.deepEqual([1, 2, 3, 4, 20].map((n) => retryDelayMs(DEFAULT_RETRY_RULES, n)), [30_000, 60_000, 120_000, 240_000, 3_600_000]);
  const rules = { baseDelayMs: 1000, maxDelayMs: 8000, windowMs: 10_000, disableAfterMs: 50_000 };
  t.deepEqual(afterFailure(rules, { nowMs: 1000, createdMs: 0, failures: 1, failingSinceMs: null }), { kind: 'retry', atMs: 2000, disable: false });
  t.deepEqual(afterFailure(rules, { nowMs: 9500, createdMs: 0, failures: 4, failingSinceMs: 0 }), { kind: 'give-up', disable: false });
  t.deepEqual(afterFailure(rules, { nowMs: 50_000, createdMs: 45_000, failures: 1, failingSinceMs: 0 }), { kind: 'retry', atMs: 51_000, disable: true });
});

test('endpoint URLs: HTTPS to public names; HTTP only to this host under the test setting; no private literals or credentials', (t) => {
  t.like(checkEndpointUrl(' https://crm.example.com/hook#x ', false), { ok: true, url: 'https://crm.example.com/hook' });
  for (const bad of ['http://crm.example.com/', 'ftp://crm.example.com/', 'https://10.1.1.1/', 'https://192.168.0.2/', 'https://169.254.169.254/',
    'https://[fd00::1]/', 'https://127.0.0.1/', 'https://localhost/', 'http://127.0.0.1:8080/', 'https://u:p@crm.example.com/', 'not a url', '']) {
    t.false(checkEndpointUrl(bad, false).ok, bad);
  }
  t.true(checkEndpointUrl('http://127.0.0.1:8080/hook', true).ok);
  t.true(checkEndpointUrl('http://localhost:8080/hook', true).ok);
  t.false(checkEndpointUrl('http://10.0.0.1/hook', true).ok, 'the test setting opens loopback only');
  t.false(checkEndpointUrl('http://crm.example.com/hook', true).ok);
  // IPv6 literals that reach an IPv4 host are judged as it (URLs write them in hexadecimal: [::7f00:1]).
  for (const bad of ['https://[::127.0.0.1]/', 'https://[::ffff:127.0.0.1]/', 'https://[::ffff:0:a9fe:a9fe]/', 'https://[64:ff9b::169.254.169.254]/',
    'https://[64:ff9b:1::a9fe:a9fe]/', 'https://[2002:a9fe:a9fe::1]/', 'https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/', 'https://[fec0::1]/', 'https://[100::1]/']) {
    const r = checkEndpointUrl(bad, false);
    t.false(r.ok, bad);
    t.regex(r.ok ? '' : r.reason, /private address|this server/, bad);
  }
  t.true(checkEndpointUrl('https://[64:ff9b::808:808]/hook', false).ok, 'NAT64 to a public host');
  t.true(checkEndpointUrl('https://[2606:4700:4700::1111]/hook', false).ok);
});

test('history rows make events: a first row is created (and scheduled when it is), moves to final states complete or fail', (t) => {
  const row = (from: string | null, to: string) => ({
    id: '7', request_id: 'r', from_status: from, to_status: to, reason: null, at: new Date(0), subscriber_id: 's', department_id: null,
    phone_e164: '+12025550100', visitor_name: null, page_url: null, kind: 'callback', scheduled_at: null, attempt_count: 1, wanted: true,
  });
  const types = (from: string | null, to: string) => historyEvents(row(from, to)).map((e) => e.type);
  t.deepEqual(types(null, 'queued'), ['callback.created']);
  t.deepEqual(types(null, 'scheduled'), ['callback.created', 'callback.scheduled']);
  t.deepEqual(types('connected', 'completed'), ['callback.completed']);
  t.deepEqual(types('dialing', 'failed'), ['callback.failed']);
  t.deepEqual(types('queued', 'expired'), ['callback.failed']);
  t.deepEqual(types('queued', 'dialing'), []);
  t.deepEqual(types('queued', 'canceled'), []);
  const keys = historyEvents(row(null, 'scheduled')).map((e) => e.sourceKey);
  t.is(new Set(keys).size, 2, 'each event of a row has its own key');
});
