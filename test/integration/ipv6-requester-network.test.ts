import test from 'ava';
import { startPolicyWeb, callback, type PolicyWeb } from '../helpers/policy-web.ts';

/**
 * Per-address limits count an IPv6 client as its /64: a client given a /64 (every home line and server is) could
 * otherwise take a new address for each request and never meet a per-address limit. Through the web, with the
 * client's address from X-Forwarded-For behind a trusted proxy.
 */
let w: PolicyWeb;
test.before(async () => {
  w = await startPolicyWeb('ipv6net', {
    LIMIT_PER_IP: '2/600', LIMIT_FORM_TOKENS_PER_IP: '2/600', LIMIT_PER_NUMBER_SHORT: '5/600', LIMIT_PER_SUBSCRIBER_DAY: '1000',
    FORM_TOKEN_MIN_AGE_MS: '0', FORM_TOKEN_LOOPBACK_EXEMPT: 'false',
  });
});
test.after.always(async () => { await w?.close(); });

const formToken = (ip: string) => fetch(`${w.base}/api/v1/form-token?subscriber=demo`, { headers: { 'x-forwarded-for': ip } });

test('call-backs from many addresses of one /64 share its per-address limit; the next /64 has its own', async (t) => {
  t.is((await w.post('/api/v1/callbacks', callback('+1 202 555 0301'), '2001:db8:77:1::1')).status, 202);
  t.is((await w.post('/api/v1/callbacks', callback('+1 202 555 0302'), '2001:db8:77:1::2')).status, 202);
  const third = await w.post('/api/v1/callbacks', callback('+1 202 555 0303'), '2001:db8:77:1:ffff:1:2:3');
  t.is(third.status, 429, third.text);
  t.is(third.json.error.code, 'ip_rate_limited');
  t.is((await w.post('/api/v1/callbacks', callback('+1 202 555 0304'), '2001:db8:77:2::1')).status, 202, 'another /64');
});

test('form tokens: one /64 shares the per-address budget, and a token works from any address of the /64 it was given to', async (t) => {
  const first = await formToken('2001:db8:78:1::a');
  t.is(first.status, 200);
  const { token } = await first.json() as { token: string };
  t.is((await formToken('2001:db8:78:1::b')).status, 200);
  const over = await formToken('2001:db8:78:1::c');
  t.is(over.status, 429);
  // The browser's address changed within its /64 (IPv6 privacy addresses rotate): the token still holds.
  const same = await w.post('/api/v1/callbacks', callback('+1 202 555 0311', { formToken: token, source: 'widget' }), '2001:db8:78:1::d', { authorization: '' });
  t.is(same.status, 202, same.text);
  // Another network cannot use it.
  const { token: other } = await (await formToken('2001:db8:78:9::1')).json() as { token: string };
  const moved = await w.post('/api/v1/callbacks', callback('+1 202 555 0312', { formToken: other, source: 'widget' }), '2001:db8:78:a::1', { authorization: '' });
  t.is(moved.status, 400, moved.text);
});
