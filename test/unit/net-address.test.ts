import test from 'ava';
import { isLoopback, isPrivateOrLoopback, unmapIPv4 } from '../../src/platform/net-address.ts';
import { metricsAllowed } from '../../src/observability/metrics-access.ts';
import { embeddedIPv4, ipv6Groups, isForbiddenAddress } from '../../src/platform/net-address.ts';

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

test('an IPv6 address is read into its eight groups, a trailing dotted quad and a zone included', (t) => {
  t.deepEqual(ipv6Groups('::'), [0, 0, 0, 0, 0, 0, 0, 0]);
  t.deepEqual(ipv6Groups('2001:db8::1'), [0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]);
  t.deepEqual(ipv6Groups('::ffff:169.254.1.2'), [0, 0, 0, 0, 0, 0xffff, 0xa9fe, 0x0102]);
  t.deepEqual(ipv6Groups('fe80::1%eth0'), [0xfe80, 0, 0, 0, 0, 0, 0, 1]);
  t.deepEqual(ipv6Groups('1:2:3:4:5:6:7:8'), [1, 2, 3, 4, 5, 6, 7, 8]);
  t.is(ipv6Groups('127.0.0.1'), null);
  t.is(ipv6Groups('1::2::3'), null);
});

test('the IPv4 host inside mapped, translated, NAT64 and 6to4 addresses', (t) => {
  t.is(embeddedIPv4('::ffff:169.254.169.254'), '169.254.169.254');
  t.is(embeddedIPv4('::ffff:a9fe:a9fe'), '169.254.169.254', 'mapped, hexadecimal (as URLs write it)');
  t.is(embeddedIPv4('::ffff:0:a9fe:a9fe'), '169.254.169.254', 'IPv4-translated');
  t.is(embeddedIPv4('64:ff9b::a9fe:a9fe'), '169.254.169.254', 'NAT64 well-known prefix');
  t.is(embeddedIPv4('64:ff9b::10.0.0.1'), '10.0.0.1');
  t.is(embeddedIPv4('2002:a9fe:a9fe::1'), '169.254.169.254', '6to4');
  t.is(embeddedIPv4('2002:0808:0808:1::1'), '8.8.8.8');
  t.is(embeddedIPv4('2606:4700:4700::1111'), null);
  t.is(embeddedIPv4('64:ff9b:0:0:1::a9fe:a9fe'), null, 'not the /96 NAT64 prefix');
  t.is(embeddedIPv4('8.8.8.8'), null);
});

test('IPv6 forms that reach a forbidden IPv4 host, and the ranges of no public use, are forbidden', (t) => {
  const forbidden = {
    'NAT64 to metadata': '64:ff9b::a9fe:a9fe',
    'NAT64 to loopback, dotted': '64:ff9b::127.0.0.1',
    'NAT64 to a private network': '64:ff9b::10.1.2.3',
    'NAT64 local-use, whatever it embeds': '64:ff9b:1::808:808',
    'NAT64 local-use /48 end': '64:ff9b:1:ffff:ffff:ffff:ffff:ffff',
    'IPv4-compatible loopback': '::127.0.0.1',
    'IPv4-compatible loopback, hexadecimal': '::7f00:1',
    'IPv4-compatible, even a public address': '::8.8.8.8',
    'unspecified': '::',
    '6to4 to metadata': '2002:a9fe:a9fe::1',
    '6to4 to loopback': '2002:7f00:1::',
    '6to4 to a private network': '2002:c0a8:0101::1',
    'Teredo': '2001:0:4136:e378:8000:63bf:3fff:fdd2',
    'Teredo, other end of /32': '2001:0:ffff:ffff:ffff:ffff:ffff:ffff',
    'site-local': 'fec0::1',
    'site-local, end of /10': 'feff:ffff::1',
    'discard-only': '100::1',
    'IPv4-mapped metadata, dotted': '::ffff:169.254.169.254',
    'IPv4-mapped metadata, hexadecimal': '::ffff:a9fe:a9fe',
    'IPv4-translated metadata': '::ffff:0:a9fe:a9fe',
    'IPv4-translated loopback, dotted': '::ffff:0:127.0.0.1',
    'link-local with a zone': 'fe80::1%eth0',
  };
  for (const [what, ip] of Object.entries(forbidden)) t.true(isForbiddenAddress(ip), `${what}: ${ip}`);
  const allowed = {
    'public IPv6': '2606:4700:4700::1111',
    'NAT64 to a public host (an IPv6-only network reaching it)': '64:ff9b::808:808',
    '6to4 to a public host': '2002:808:808::1',
    'IPv4-mapped public': '::ffff:8.8.8.8',
    'IPv4-translated public': '::ffff:0:808:808',
    'next to Teredo': '2001:1::1',
    'next to the discard-only prefix': '100:0:0:1::1',
    'next to NAT64 local-use': '64:ff9b:2::1',
  };
  for (const [what, ip] of Object.entries(allowed)) t.false(isForbiddenAddress(ip), `${what}: ${ip}`);
});
