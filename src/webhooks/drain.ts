import { randomUUID } from 'node:crypto';
import type { Pool } from '../platform/db/pool.ts';
import type { Logger } from '../platform/logger.ts';
import type { WebhookPayload } from './event-types.ts';
import { signatureHeader } from './signature.ts';
import { afterFailure, type RetryRules } from './retry-schedule.ts';
import type { Sender } from './webhook-sender.ts';
import {
  headDelivery, markDelivered, markFailed, releaseLease, setEndpointEnabled, takeLease, type WebhookEndpoint,
} from './webhook.repository.ts';

/**
 * Delivers one endpoint's deliveries, one at a time, oldest first (by seq, the order they were made in).
 *
 * Ordering holds because only the holder of the endpoint's lease (a row lease in PostgreSQL, renewed before
 * every send, longer than a send's deadline) sends to it, and it sends only the oldest pending delivery: the
 * next one waits until that one succeeded or was given up at the end of the retry window. A failing delivery
 * therefore holds back the ones behind it, as a receiver relying on order needs. Any number of queue jobs may
 * name the same endpoint (duplicates are harmless): a job that cannot take the lease ends at once.
 */
export interface DrainDeps {
  pool: Pool;
  send: Sender;
  rules: RetryRules;
  log: Logger;
  /** Try this endpoint again at `atMs` (a delayed queue job). */
  later(endpointId: string, atMs: number): Promise<void>;
  /** The endpoint was disabled after failing for the whole window (the owner's notice goes here). */
  disabled(endpoint: WebhookEndpoint): Promise<void> | void;
}

/** Lease length: above the send deadline, so a live holder never loses it mid-send. */
export const leaseSecFor = (timeoutMs: number): number => Math.ceil((2 * timeoutMs) / 1000) + 30;

export function createDrain(deps: DrainDeps & { timeoutMs: number }) {
  const leaseSec = leaseSecFor(deps.timeoutMs);
  /** Resolves with the number of sends made. */
  return async function drain(endpointId: string): Promise<number> {
    const token = randomUUID();
    let sent = 0;
    try {
      for (;;) {
        const endpoint = await takeLease(deps.pool, endpointId, token, leaseSec);
        if (!endpoint) return sent;
        const head = await headDelivery(deps.pool, endpointId);
        if (!head) return sent;
        if (head.nextAttemptAt.getTime() > Date.now()) {
          await deps.later(endpointId, head.nextAttemptAt.getTime());
          return sent;
        }
        const payload: WebhookPayload = { id: head.eventId, type: head.type, createdAt: head.eventAt.toISOString(), data: head.data };
        const body = JSON.stringify(payload);
        const result = await deps.send(endpoint.url, body, {
          'Beckon-Signature': signatureHeader(endpoint.secrets, body, Math.floor(Date.now() / 1000)),
          'Beckon-Event': head.type,
          'Beckon-Delivery': head.id,
        });
        sent++;
        if (result.ok) {
          await markDelivered(deps.pool, { id: head.id, endpointId, status: result.status!, durationMs: result.durationMs });
          continue;
        }
        const now = Date.now();
        const failingSince = endpoint.failingSince?.getTime() ?? now;
        const next = afterFailure(deps.rules, { nowMs: now, createdMs: head.createdAt.getTime(), failures: head.attempts + 1, failingSinceMs: failingSince });
        await markFailed(deps.pool, {
          id: head.id, endpointId, status: result.status, error: result.error ?? 'failed', durationMs: result.durationMs,
          retryAt: next.kind === 'retry' ? new Date(next.atMs) : null,
        });
        deps.log.info({ endpointId, deliveryId: head.id, status: result.status, error: result.error, next: next.kind }, 'webhook delivery failed');
        if (next.disable) {
          await setEndpointEnabled(deps.pool, endpoint.subscriberId, endpointId, false, `No successful delivery since ${new Date(failingSince).toISOString()}.`);
          deps.log.warn({ endpointId, subscriberId: endpoint.subscriberId }, 'webhook endpoint disabled after failing for the whole window');
          await deps.disabled(endpoint);
          return sent;
        }
        if (next.kind === 'retry') {
          await deps.later(endpointId, next.atMs);
          return sent;
        }
      }
    } finally {
      await releaseLease(deps.pool, endpointId, token).catch(() => {});
    }
  };
}
