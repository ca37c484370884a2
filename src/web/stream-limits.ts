import { TooManyRequestsError } from '../platform/errors.ts';
import { requesterNetwork } from '../platform/requester-network.ts';

/**
 * Caps on open event streams, counted in this process (each stream is a socket held open here): a few per key (a
 * visitor's tabs on one request, or one signed-in account's consoles) and more per client network (an office
 * behind one address; an IPv6 client counts as its /64), and optionally a total for the process. Every open stream
 * costs memory, a file descriptor and a subscription, so without a cap one token or one account could hold
 * thousands open. Pure bookkeeping, no I/O.
 */
export interface StreamLimits {
  /** A release function when the stream may open, null when a cap is reached. */
  acquire(key: string, ip: string): (() => void) | null;
  /** Which cap a stream for `key` from `ip` would go past now, or null when it may open. */
  full(key: string, ip: string): 'key' | 'ip' | 'total' | null;
  open(): number;
  /** Streams one key may hold open at once. */
  readonly perKey: number;
}

export function createStreamLimits(o: { perKey: number; perIp?: number; total?: number }): StreamLimits {
  const byKey = new Map<string, number>();
  const byIp = new Map<string, number>();
  const dec = (m: Map<string, number>, k: string) => { const n = (m.get(k) ?? 0) - 1; if (n > 0) m.set(k, n); else m.delete(k); };
  let total = 0;
  const full = (key: string, address: string): 'key' | 'ip' | 'total' | null => {
    if ((byKey.get(key) ?? 0) >= o.perKey) return 'key';
    if (o.perIp !== undefined && (byIp.get(requesterNetwork(address)) ?? 0) >= o.perIp) return 'ip';
    if (o.total !== undefined && total >= o.total) return 'total';
    return null;
  };
  return {
    perKey: o.perKey,
    full,
    acquire(key, address) {
      if (full(key, address)) return null;
      const ip = requesterNetwork(address);
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

/**
 * A slot for an event stream of a signed-in account (the agent console, the chat desk, the portal inbox), keyed by
 * the account ("agent:<id>", "subscriber:<id>") rather than the session: every login makes a new session, so a cap
 * per session alone would be none. The release function, or a 429 saying which cap is full.
 */
export function signedInStreamSlot(limits: StreamLimits, account: string, ip: string): () => void {
  const release = limits.acquire(account, ip);
  if (release) return release;
  if (limits.full(account, ip) === 'key') {
    throw TooManyRequestsError.after('too_many_streams',
      `This account already has ${limits.perKey} live connections open (the most it may have). Close another console or inbox tab, then reload this one.`, 30_000);
  }
  throw TooManyRequestsError.after('too_many_streams', 'This server holds too many live connections just now. Reload the page in a minute.', 60_000);
}
