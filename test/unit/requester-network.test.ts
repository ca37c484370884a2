import test from 'ava';
import { requesterNetwork } from '../../src/platform/requester-network.ts';

test('an IPv4 address is its own key, written plain or IPv4-mapped', (t) => {
  t.is(requesterNetwork('198.51.100.7'), '198.51.100.7');
  t.is(requesterNetwork('::ffff:198.51.100.7'), '198.51.100.7');
  t.is(requesterNetwork('::FFFF:198.51.100.7'), '198.51.100.7');
});

test('every address of one IPv6 /64 shares one key, whatever its spelling', (t) => {
  const key = requesterNetwork('2001:db8:1:2::1');
  t.is(key, '2001:db8:1:2::/64');
  for (const ip of ['2001:db8:1:2::20', '2001:0db8:0001:0002:ffff:ffff:ffff:ffff', '2001:db8:1:2:a:b:c:d', '2001:DB8:1:2::1%eth0', '2001:db8:1:2::198.51.100.7']) {
    t.is(requesterNetwork(ip), key, ip);
  }
});

test('neighbouring /64s and compressed prefixes are told apart', (t) => {
  t.is(requesterNetwork('2001:db8:1:3::1'), '2001:db8:1:3::/64');
  t.is(requesterNetwork('2001:db8::1'), '2001:db8:0:0::/64');
  t.is(requesterNetwork('::1'), '0:0:0:0::/64');
  t.is(requesterNetwork('fe80::1:2:3:4'), 'fe80:0:0:0::/64');
  t.is(requesterNetwork('1:2:3:4:5:6:7:8'), '1:2:3:4::/64');
  t.is(requesterNetwork('1:2:3::'), '1:2:3:0::/64');
});
