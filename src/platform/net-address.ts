import { BlockList, isIP, isIPv4 } from 'node:net';

/**
 * Client addresses as Node reports them. A dual-stack socket reports an IPv4 client as an IPv4-mapped IPv6
 * address (`::ffff:127.0.0.1`): that client is the IPv4 host, so every rule below judges the IPv4 address.
 */

/** The IPv4 address inside an IPv4-mapped IPv6 address, any other address as it is. */
export function unmapIPv4(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1]! : address;
}

/** This host: 127.0.0.0/8 and ::1, also IPv4-mapped. Anything that is not an address is not loopback. */
export function isLoopback(address: string | null | undefined): boolean {
  if (!address) return false;
  const ip = unmapIPv4(address);
  return ip === '::1' || (isIPv4(ip) && ip.startsWith('127.'));
}

/** This host or a private network: loopback, RFC 1918 (10/8, 172.16/12, 192.168/16) and IPv6 unique local (fc00::/7). */
export function isPrivateOrLoopback(address: string): boolean {
  const ip = unmapIPv4(address);
  if (isLoopback(ip)) return true;
  if (isIPv4(ip)) {
    const [a, b] = ip.split('.').map(Number) as [number, number];
    return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
  }
  return /^f[cd][0-9a-f]{2}:/i.test(ip);
}

const blocked = new BlockList();
for (const [net, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 3]] as const) blocked.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [['::', 127], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) blocked.addSubnet(net, bits, 'ipv6');

/**
 * Addresses a request Beckon makes on a stranger's behalf (domain verification, webhooks) may not connect to:
 * this host, private networks, link-local (cloud metadata), multicast.
 */
export function isForbiddenAddress(address: string): boolean {
  // An IPv4-mapped IPv6 address (::ffff:127.0.0.1) reaches the IPv4 host: judge that.
  const ip = unmapIPv4(address);
  const family = isIP(ip);
  if (family === 0) return true;
  return blocked.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}
