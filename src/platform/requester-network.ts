import { ipv6Groups } from './net-address.ts';

/**
 * The key a per-address limit counts a client under. An IPv4 address is itself (written IPv4-mapped, as a
 * dual-stack socket reports it, it is the same address). An IPv6 address counts as its /64: one home line, phone
 * or server is given a whole /64 and may pick any address in it, so counting each address would give one client
 * 2^64 budgets. Every per-address limit keys on this; logs and stored rows keep the full address. Pure.
 */
export function requesterNetwork(ip: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped) return mapped[1]!;
  const groups = ipv6Groups(ip);
  if (!groups) return ip;
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}
