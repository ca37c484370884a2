import test from 'ava';
import { clientAddress } from '../../src/web/middleware/client-ip.ts';
import { isCrossSite } from '../../src/web/middleware/same-origin.ts';
import { DEFAULT_SESSION_SECRET, loadConfig, weakSessionSecret } from '../../src/platform/config.ts';

test('client address: the hops-th entry from the right of X-Forwarded-For, an IP, else the socket', (t) => {
  t.is(clientAddress('198.51.100.7, 10.0.0.1', '127.0.0.1', 1), '10.0.0.1');
  t.is(clientAddress('198.51.100.7, 10.0.0.1', '127.0.0.1', 2), '198.51.100.7');
  t.is(clientAddress('203.0.113.9, 198.51.100.7, 10.0.0.1', '127.0.0.1', 2), '198.51.100.7');
  t.is(clientAddress('10.0.0.1', '127.0.0.1', 3), '10.0.0.1', 'a shorter chain: its leftmost, all written by trusted hops');
  t.is(clientAddress('not-an-ip', '127.0.0.1', 1), '127.0.0.1');
  t.is(clientAddress("1.2.3.4'; DROP TABLE x; --", '::1', 1), '::1');
  t.is(clientAddress('2001:db8::1', '127.0.0.1', 1), '2001:db8::1');
  t.is(clientAddress('198.51.100.7', '127.0.0.1', 0), '127.0.0.1', 'no trusted hops: the header is ignored');
  t.is(clientAddress(undefined, '127.0.0.1', 1), '127.0.0.1');
});

test('TRUST_PROXY is a hop count; true is one hop', (t) => {
  t.is(loadConfig({ TRUST_PROXY: 'true' }).TRUST_PROXY, 1);
  t.is(loadConfig({ TRUST_PROXY: 'false' }).TRUST_PROXY, 0);
  t.is(loadConfig({ TRUST_PROXY: '2' }).TRUST_PROXY, 2);
  t.is(loadConfig({}).TRUST_PROXY, 0);
  t.throws(() => loadConfig({ TRUST_PROXY: 'yes please' }));
});

test('cross-site: Sec-Fetch-Site other than same-origin/none, or a foreign Origin; clients without either pass', (t) => {
  const self = ['https://beckon.example'];
  t.false(isCrossSite({}, self));
  t.false(isCrossSite({ secFetchSite: 'same-origin', origin: 'https://beckon.example' }, self));
  t.false(isCrossSite({ secFetchSite: 'none' }, self));
  t.true(isCrossSite({ secFetchSite: 'cross-site' }, self));
  t.true(isCrossSite({ secFetchSite: 'same-site' }, self));
  t.true(isCrossSite({ origin: 'https://evil.example' }, self));
  t.true(isCrossSite({ origin: 'null' }, self));
});

test('weak secrets: the shipped one, short ones', (t) => {
  t.regex(weakSessionSecret({ SESSION_SECRET: DEFAULT_SESSION_SECRET, FORM_TOKEN_SECRET: undefined })!, /openssl rand -hex 32/);
  t.truthy(weakSessionSecret({ SESSION_SECRET: 'x'.repeat(31), FORM_TOKEN_SECRET: undefined }));
  t.truthy(weakSessionSecret({ SESSION_SECRET: 'x'.repeat(40), FORM_TOKEN_SECRET: 'y'.repeat(20) }));
  t.is(weakSessionSecret({ SESSION_SECRET: 'x'.repeat(40), FORM_TOKEN_SECRET: undefined }), null);
});
