import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Checking what the webhook bench's receiver got (scenarios/webhooks.ts). Pure, so the self-check itself is unit
 * tested (test/unit/bench-newpaths-b.test.ts).
 */

/**
 * A receiver's check of `Beckon-Signature: t=<unix s>,v1=<hex>[,v1=…]`, written from the README's description
 * rather than imported from src/webhooks, so a signing bug cannot verify itself: one v1 must be the HMAC-SHA256 of
 * `<t>.<raw body>` under `secret`, and t within `toleranceSec` of now.
 */
export function signatureValid(header: string | undefined, rawBody: string, secret: string, nowSec: number, toleranceSec = 300): boolean {
  if (!header) return false;
  const t = Number(/(?:^|,)t=(\d+)(?:,|$)/.exec(header)?.[1]);
  if (!Number.isInteger(t) || Math.abs(nowSec - t) > toleranceSec) return false;
  const want = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
  return [...header.matchAll(/(?:^|,)v1=([0-9a-f]+)(?=,|$)/g)].some(([, v]) => v!.length === want.length * 2 && timingSafeEqual(Buffer.from(v!, 'hex'), want));
}

/** One POST the receiver got. */
export interface Arrival {
  /** which endpoint (the path it was posted to) */
  endpoint: string;
  /** the payload's event id, '' when the body was not a payload */
  eventId: string;
  /** the payload's createdAt in ms (events are made in this order) */
  eventAtMs: number;
  valid: boolean;
  at: number;
}

export interface DeliveryCheckInput {
  arrivals: readonly Arrival[];
  /** endpoint → the event ids it must get, each once */
  expected: ReadonlyMap<string, readonly string[]>;
  /** Beckon only: the delivery log's rows of these endpoints, by status, and rows tried more than once */
  log?: { delivered: number; pending: number; failed: number; retried: number };
}

/**
 * Every expected event reached its endpoint exactly once, nothing else arrived, every signature verified, and each
 * endpoint got its events in the order they were made (one delivery at a time per endpoint, in event order). For
 * Beckon the delivery log agrees: all delivered at the first try.
 */
export function checkDeliveries(c: DeliveryCheckInput): string[] {
  const p: string[] = [];
  const invalid = c.arrivals.filter((a) => !a.valid).length;
  if (invalid) p.push(`${invalid} deliveries failed signature verification`);
  const count = new Map<string, number>();
  for (const a of c.arrivals) count.set(`${a.endpoint} ${a.eventId}`, (count.get(`${a.endpoint} ${a.eventId}`) ?? 0) + 1);
  let missing = 0;
  let twice = 0;
  let total = 0;
  for (const [endpoint, ids] of c.expected) {
    for (const id of ids) {
      total++;
      const n = count.get(`${endpoint} ${id}`) ?? 0;
      if (n === 0) missing++;
      if (n > 1) twice++;
    }
  }
  if (missing) p.push(`${missing} of ${total} expected deliveries never arrived`);
  if (twice) p.push(`${twice} events arrived more than once at the same endpoint`);
  const stray = c.arrivals.filter((a) => !(c.expected.get(a.endpoint) ?? []).includes(a.eventId)).length;
  if (stray) p.push(`${stray} deliveries arrived that were not expected (unknown endpoint or event)`);
  const last = new Map<string, number>();
  let outOfOrder = 0;
  for (const a of [...c.arrivals].sort((x, y) => x.at - y.at)) {
    if (a.eventAtMs < (last.get(a.endpoint) ?? -Infinity)) outOfOrder++;
    last.set(a.endpoint, Math.max(a.eventAtMs, last.get(a.endpoint) ?? -Infinity));
  }
  if (outOfOrder) p.push(`${outOfOrder} deliveries arrived before an event made earlier for the same endpoint`);
  if (c.log) {
    if (c.log.delivered !== total) p.push(`the delivery log has ${c.log.delivered} delivered of ${total} (${c.log.pending} pending, ${c.log.failed} failed)`);
    if (c.log.retried) p.push(`${c.log.retried} deliveries needed more than one try`);
  }
  return p;
}
