import { randomUUID } from 'node:crypto';
import type { Logger } from '../platform/logger.ts';
import { withTransaction, type Pool } from '../platform/db/pool.ts';
import { AppError, ConflictError, SubscriberNotFoundError, SubscriberSuspendedError, UnavailableError, ValidationError } from '../platform/errors.ts';
import type { SubscriberCache, SubscriberEntry } from '../subscribers/subscriber-cache.ts';
import { answeringDepartment, statusUrl, type RequestMeta } from '../requests/accept.service.ts';
import { cleanUrl, type CallbackInput } from '../requests/callback-input.ts';
import { insertWebcallRequest } from '../requests/callback.repository.ts';
import { newStatusToken } from '../requests/status-token.ts';
import type { WebcallCheckContext } from '../policy/accept-policy.ts';
import { hoursFromSettings, isOpen } from '../schedule/business-hours.ts';
import { parseWebcallInput } from './webcall-input.ts';
import { newTicket } from './ticket.ts';
import { insertTicket } from './ticket.repository.ts';

/** What the browser needs to place its call: the ticket, where to send it, and how to follow the call. */
export interface WebcallOffer {
  requestId: string;
  ticket: string;
  /** Asterisk's SIP-over-WebSocket address (subprotocol `sip`). */
  wsUrl: string;
  /** Whom to INVITE: the `callback` extension of the web-call context on that Asterisk. */
  sipUri: string;
  iceServers: unknown[];
  expiresAt: string;
  statusUrl: string;
  statusToken: string;
}

export interface WebcallOfferDeps {
  pool: Pool;
  subscribers: SubscriberCache;
  log: Logger;
  /** Beckon's address, read per request (the web process may learn it only once it listens). */
  publicUrl: () => string;
  enabled: boolean;
  wsUrl: string;
  iceServers: unknown[];
  ticketTtlSec: number;
  /** The accept policy's web-call checks (src/policy/accept-policy.ts). */
  checks: (ctx: WebcallCheckContext) => Promise<void>;
  clock?: () => number;
}

export class WebcallsDisabledError extends AppError {
  constructor() { super(404, 'webcalls_disabled', 'Calls from the browser are not offered here.'); }
}

/** `sip:callback@<host of the WebSocket address>`: the dialplan's extension on the Asterisk the browser connects to. */
export function sipUriFor(wsUrl: string): string {
  return `sip:callback@${new URL(wsUrl).hostname}`;
}

/**
 * Issues a web call: the same checks a call-back request passes (subscriber active, department able to take a
 * call, form token or API credential, per-IP and per-visitor limits, the subscriber's daily cap) and one more: the
 * business is open now, since a web call cannot wait for the next opening. Then the request (kind `webcall`,
 * `queued`, never put on the dial queue) and its ticket are stored in one transaction.
 */
export function createWebcallOffers(deps: WebcallOfferDeps) {
  const clock = deps.clock ?? Date.now;

  async function subscriberEntry(slug: string): Promise<SubscriberEntry> {
    let entry: SubscriberEntry | null;
    try { entry = await deps.subscribers.get(slug); } catch { throw new UnavailableError(); }
    if (!entry) throw SubscriberNotFoundError.named(slug);
    if (entry.subscriber.status !== 'active') throw new SubscriberSuspendedError();
    return entry;
  }

  async function offer(body: unknown, meta: RequestMeta): Promise<WebcallOffer> {
    if (!deps.enabled) throw new WebcallsDisabledError();
    const parsed = parseWebcallInput(body);
    if (!parsed.ok) throw new ValidationError(parsed.fields);
    const input = parsed.value;
    const entry = await subscriberEntry(input.subscriber);
    const department = answeringDepartment(entry, input.department);
    const { subscriber } = entry;
    if (!isOpen(hoursFromSettings(subscriber.settings, subscriber.timezone), new Date(clock()))) {
      throw new ConflictError('closed', 'This business is closed now. Please ask for a call-back instead.');
    }
    await deps.checks({ input: input as unknown as CallbackInput, meta, entry });

    const id = randomUUID();
    const status = newStatusToken();
    const ticket = newTicket();
    let expiresAt: Date;
    try {
      expiresAt = await withTransaction(deps.pool, async (tx) => {
        await insertWebcallRequest(tx, {
          id, subscriberId: subscriber.id, departmentId: department?.id ?? null,
          visitorName: input.name || null, message: input.message || null, pageUrl: cleanUrl(input.pageUrl), referrer: null,
          ip: meta.ip, userAgent: meta.userAgent?.slice(0, 500) ?? null, source: meta.source, tokenHash: status.hash,
        });
        return insertTicket(tx, { hash: ticket.hash, requestId: id, subscriberId: subscriber.id, departmentId: department?.id ?? null, visitorId: input.visitorId, ttlSec: deps.ticketTtlSec });
      });
    } catch (err) {
      deps.log.error({ err }, 'could not store web call');
      throw new UnavailableError();
    }
    deps.log.info({ requestId: id, subscriber: subscriber.slug, source: meta.source }, 'web call ticket issued');
    return {
      requestId: id, ticket: ticket.ticket, wsUrl: deps.wsUrl, sipUri: sipUriFor(deps.wsUrl), iceServers: deps.iceServers,
      expiresAt: expiresAt.toISOString(), statusUrl: statusUrl(deps.publicUrl(), id, status.token), statusToken: status.token,
    };
  }

  return { offer };
}

export type WebcallOffers = ReturnType<typeof createWebcallOffers>;
