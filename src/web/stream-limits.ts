import { requesterNetwork } from '../platform/requester-network.ts';

/**
 * Caps on open event streams, counted in this process (each stream is a socket held open here): a few per
 * request (a visitor's tabs) and more per client IP (an office behind one address). Every open stream costs
 * memory and a subscription, so without a cap one token could hold thousands open. Pure bookkeeping, no I/O.
 */
export interface StreamLimits {
  /** A release function when the stream may open, null when a cap is reached. */
  acquire(key: string, ip: string): (() => void) | null;
  open(): number;
}

export function createStreamLimits(o: { perKey: number; perIp: number }): StreamLimits {
  const byKey = new Map<string, number>();
  const byIp = new Map<string, number>();
  const dec = (m: Map<string, number>, k: string) => { const n = (m.get(k) ?? 0) - 1; if (n > 0) m.set(k, n); else m.delete(k); };
  let total = 0;
  return {
    acquire(key, address) {
      const ip = requesterNetwork(address);
      if ((byKey.get(key) ?? 0) >= o.perKey || (byIp.get(ip) ?? 0) >= o.perIp) return null;
      byKey.set(key, (byKey.get(key) ?? 0) + 1);
      byIp.set(ip, (byIp.get(ip) ?? 0) + 1);
      total++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        dec(byKey, key); dec(byIp, ip); total--;
      };
    },
    open: () => total,
  };
}
