import { isIPv6 } from 'node:net';

/**
 * The key a per-address limit counts a client under. An IPv4 address is itself (written IPv4-mapped, as a
 * dual-stack socket reports it, it is the same address). An IPv6 address counts as its /64: one home line, phone
 * or server is given a whole /64 and may pick any address in it, so counting each address would give one client
 * 2^64 budgets. Every per-address limit keys on this; logs and stored rows keep the full address. Pure.
 */
export function requesterNetwork(ip: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!isIPv6(ip)) return ip;
  return `${ipv6Groups(ip).slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (zone dropped, `::` expanded, a trailing dotted IPv4 read). */
function ipv6Groups(ip: string): number[] {
  let s = ip.split('%')[0]!;
  let v4: number[] = [];
  const dotted = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(s);
  if (dotted) {
    const b = dotted[1]!.split('.').map(Number);
    v4 = [(b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!];
    s = s.slice(0, s.length - dotted[1]!.length);
    if (s.endsWith(':') && !s.endsWith('::')) s = s.slice(0, -1);
  }
  const hex = (part: string) => part.split(':').filter(Boolean).map((x) => parseInt(x, 16));
  const gap = s.indexOf('::');
  if (gap < 0) return [...hex(s), ...v4];
  const head = hex(s.slice(0, gap));
  const tail = [...hex(s.slice(gap + 2)), ...v4];
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}
