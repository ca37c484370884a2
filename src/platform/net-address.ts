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

/** The eight 16-bit groups of an IPv6 address (`::`, a trailing dotted quad and a zone allowed), or null. */
export function ipv6Groups(address: string): number[] | null {
  const ip = address.replace(/%.*$/, '');
  if (isIP(ip) !== 6) return null;
  let text = ip;
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') as [string, string] : [text, null];
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  if (tail === null) return left;
  const right = parse(tail);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

const quadOf = (hi: number, lo: number): string => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;

/**
 * The IPv4 host an IPv6 address reaches, for the forms that carry one where a connection goes to it: IPv4-mapped
 * (::ffff:0:0/96), IPv4-translated (::ffff:0:0:0/96, SIIT), NAT64's well-known prefix (64:ff9b::/96, translated
 * to IPv4 by the network's NAT64) and 6to4 (2002::/16, the IPv4 address in bits 16-47). Null for other addresses.
 */
export function embeddedIPv4(address: string): string | null {
  const g = ipv6Groups(address);
  if (!g) return null;
  const zero = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zero(0, 5) && g[5] === 0xffff) return quadOf(g[6]!, g[7]!);
  if (zero(0, 4) && g[4] === 0xffff && g[5] === 0) return quadOf(g[6]!, g[7]!);
  if (g[0] === 0x64 && g[1] === 0xff9b && zero(2, 6)) return quadOf(g[6]!, g[7]!);
  if (g[0] === 0x2002) return quadOf(g[1]!, g[2]!);
  return null;
}

const blocked = new BlockList();
for (const [net, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 3]] as const) blocked.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['fc00::', 7], ['fe80::', 10], ['ff00::', 8],
  // IPv4-compatible (deprecated; :: and ::1 among them): no public use, and a stack may still reach the IPv4 host.
  ['::', 96],
  // NAT64 local-use: where the IPv4 address sits depends on the network's prefix length, so it cannot be judged.
  ['64:ff9b:1::', 48],
  // Teredo: tunnels to an IPv4 client address carried obfuscated in the address.
  ['2001::', 32],
  // Site-local (deprecated, private like fc00::/7) and the discard-only prefix.
  ['fec0::', 10], ['100::', 64],
] as const) blocked.addSubnet(net, bits, 'ipv6');

/**
 * Addresses a request Beckon makes on a stranger's behalf (domain verification, webhooks) may not connect to:
 * this host, private networks, link-local (cloud metadata), multicast; an IPv6 address that reaches an IPv4 host
 * (mapped, NAT64, 6to4: embeddedIPv4) is judged as that IPv4 address.
 */
export function isForbiddenAddress(address: string): boolean {
  const ip = unmapIPv4(address);
  const family = isIP(ip);
  if (family === 0) return true;
  if (family === 4) return blocked.check(ip, 'ipv4');
  const v4 = embeddedIPv4(ip);
  if (v4 !== null && blocked.check(v4, 'ipv4')) return true;
  return blocked.check(ip.replace(/%.*$/, ''), 'ipv6');
}
