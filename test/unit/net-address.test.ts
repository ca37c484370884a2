import test from 'ava';
import { isLoopback, isPrivateOrLoopback, unmapIPv4 } from '../../src/platform/net-address.ts';
import { metricsAllowed } from '../../src/observability/metrics-access.ts';
import { isForbiddenAddress } from '../../src/platform/net-address.ts';

test('loopback is ::1 and all of 127.0.0.0/8, also IPv4-mapped', (t) => {
  for (const ip of ['::1', '127.0.0.1', '127.0.0.53', '127.255.255.254', '127.1.2.3', '::ffff:127.0.0.1', '::ffff:127.9.8.7', '::FFFF:127.0.0.1']) {
    t.true(isLoopback(ip), ip);
  }
  for (const ip of [null, undefined, '', '128.0.0.1', '10.0.0.1', '::2', '::ffff:10.0.0.1', '::ffff:128.0.0.1', '127.', '127.0.0', '127.0.0.1.5', '127.evil.example', 'localhost', '::ffff:::1']) {
    t.false(isLoopback(ip), String(ip));
  }
});

test('an IPv4-mapped address is judged as the IPv4 address inside it', (t) => {
  t.is(unmapIPv4('::ffff:192.0.2.7'), '192.0.2.7');
  t.is(unmapIPv4('::FFFF:192.0.2.7'), '192.0.2.7');
  t.is(unmapIPv4('2001:db8::1'), '2001:db8::1');
  t.is(unmapIPv4('192.0.2.7'), '192.0.2.7');
});

test('private networks: RFC 1918, IPv6 unique local, and loopback', (t) => {
  for (const ip of ['10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '::ffff:10.0.0.1', 'fd12:3456::1', 'fc00::1', '127.0.0.1', '::1']) {
    t.true(isPrivateOrLoopback(ip), ip);
  }
  for (const ip of ['172.15.0.1', '172.32.0.1', '192.169.0.1', '203.0.113.9', '2001:db8::1', '::ffff:203.0.113.9']) t.false(isPrivateOrLoopback(ip), ip);
});

test('/metrics and form tokens share the loopback rule; domain verification refuses the same hosts', (t) => {
  const base = { token: undefined, allow: 'loopback', authorization: undefined };
  for (const ip of ['::1', '127.0.0.1', '127.3.2.1', '::ffff:127.0.0.1', '::ffff:127.3.2.1']) {
    t.true(metricsAllowed({ ...base, ip }), ip);
    t.true(isForbiddenAddress(ip), ip);
  }
  t.false(metricsAllowed({ ...base, ip: '::ffff:203.0.113.9' }));
  t.false(isForbiddenAddress('::ffff:203.0.113.9'));
});
