import type { Logger } from '../platform/logger.ts';
import type { Pool } from '../platform/db/pool.ts';
import { departmentProblem, ownProblem } from '../subscribers/offerable.ts';
import { answeredByFromSettings } from '../subscribers/settings.ts';
import { AppError, ConflictError, ForbiddenError, SubscriberNotFoundError, SubscriberSuspendedError, UnavailableError, ValidationError } from '../platform/errors.ts';
import { parsePhone } from '../phone/phone-number.ts';
import type { CallbackQueue } from '../platform/queue/callback-queue.ts';
import type { SubscriberCache, SubscriberEntry } from '../subscribers/subscriber-cache.ts';
import type { Department } from '../subscribers/subscriber.types.ts';
import { cleanUrl, parseCallbackInput, type CallbackInput } from './callback-input.ts';
import { randomUUID } from 'node:crypto';
import { insertRequestsIfClear, markNotEnqueued, type NewRequest, type NumberScreening, type OpenRequest } from './callback.repository.ts';
import { createBatcher, isDataError } from '../platform/db/statement-batcher.ts';
import { newStatusToken } from './status-token.ts';
import { countAccepts } from '../platform/metrics.ts';

export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
  referrer: string | null;
  source: 'api' | 'form' | 'widget';
  /** The request carried the server-to-server API credential (API_TOKEN): no form token is asked of it. */
  apiClient?: boolean;
}

/** Everything a guard may need to refuse a request, all of it already validated. */
export interface AcceptContext {
  input: CallbackInput;
  meta: RequestMeta;
  entry: SubscriberEntry;
  department: Department | null;
  phone: { e164: string; country: string | undefined; type: string | undefined };
  scheduledAt: Date | null;
}

/**
 * A guard refuses a request by throwing an AppError, or answers it with an existing request (returns it).
 * Guards run in order after validation and before anything is written.
 */
export type AcceptGuard = (ctx: AcceptContext) => Promise<AcceptResult | void>;

/**
 * A new request's id, status and token; or, for a number that already has an open request with this
 * subscriber, `duplicate: true`. Whoever typed the number may not be who asked first, so the open request's id
 * and status are given only to the same requester (the client address and user agent stored with it: a retry
 * after a timed-out answer finds its request) and its token never (it was given once, at creation). `openId`
 * names that request for the logs and is never sent.
 */
export type AcceptResult =
  | { id: string; status: string; statusToken: string; statusUrl: string; duplicate?: false }
  | { id: string | null; status: string | null; statusToken: null; statusUrl: null; duplicate: true; openId: string };

export interface AcceptDeps {
  pool: Pool;
  queue: CallbackQueue;
  subscribers: SubscriberCache;
  log: Logger;
  publicUrl: string;
  guards?: AcceptGuard[];
  /** Decides when an immediate request may be dialed (business hours); null = now. Set by scheduling. */
  firstSlot?: (ctx: AcceptContext) => Promise<Date | null> | Date | null;
  /**
   * Told when a request the guards let through is not stored, with the refusal or the duplicate answer it gets
   * (the abuse policy drops its double-click lock and logs it).
   */
  notStored?: (ctx: AcceptContext, answer: AppError | AcceptResult) => void;
}

const MAX_SCHEDULE_AHEAD_MS = 30 * 24 * 3600 * 1000;

export function statusUrl(publicUrl: string, id: string, token: string | null): string {
  return `${publicUrl}/api/v1/callbacks/${id}${token ? `?token=${encodeURIComponent(token)}` : ''}`;
}

/**
 * The department a visitor asked for (by id or name; null = the subscriber itself), once it is known to be able
 * to take a call: an unverified phone, or agents answering with none assigned, is refused here, as it is left off
 * the form (src/subscribers/offerable.ts decides both), not failed by the dialer. Without a department the
 * subscriber itself answers: its verified phone, or its agents (the same rule hides the widget and the form
 * while it cannot). Call-backs and web calls both ask this.
 */
export function answeringDepartment(entry: SubscriberEntry, wantedDepartment: string | null | undefined): Department | null {
  const { subscriber } = entry;
  let department: Department | null = null;
  if (wantedDepartment) {
    const wanted = wantedDepartment.toLowerCase();
    department = entry.departments.find((d) => d.id === wantedDepartment || d.name.toLowerCase() === wanted) ?? null;
    if (!department) throw new ValidationError([{ field: 'department', code: 'department_unknown', message: 'Unknown department.' }]);
  }
  if (department && departmentProblem(department, entry.agents)) {
    throw new ConflictError('department_unavailable', `The department "${department.name}" cannot take calls at the moment. Please choose another or try again later.`);
  }
  const own = department ? null : ownProblem(subscriber, entry.agents);
  if (own) {
    throw new ConflictError('subscriber_not_verified', answeredByFromSettings(subscriber.settings) === 'agents'
      ? 'This call-back service is not set up yet: no agent is assigned to answer its calls.'
      : 'This call-back service is not set up yet: its phone number has not been verified.');
  }
  return department;
}

/**
 * The answer to a request whose number already has an open request with the subscriber. A stranger typing the
 * same number must learn nothing of someone else's request: not its id (a handle for the status and event URLs),
 * not its status. The same requester (address and user agent) gets the id and status back, never the token: the
 * one who asked first already holds it.
 */
export function asDuplicate(meta: RequestMeta, open: OpenRequest): AcceptResult {
  const same = open.ip !== null && open.ip === meta.ip && (open.userAgent ?? '') === (meta.userAgent ?? '');
  return { id: same ? open.id : null, status: same ? open.status : null, statusToken: null, statusUrl: null, duplicate: true, openId: open.id };
}

export function createAcceptService(deps: AcceptDeps) {
  const guards = deps.guards ?? [];
  // Many requests per INSERT under load; a batch that fails on one bad row is retried row by row, so a
  // request is refused only for its own fault (or PostgreSQL being down). The INSERT itself checks the
  // do-not-call lists and the open request (insertRequestsIfClear): one statement per batch where a lookup
  // before it cost a second one (npm run bench).
  const insertOne = createBatcher(
    (rows: (NewRequest & { id: string })[]) => insertRequestsIfClear(deps.pool, rows),
    { maxInFlight: 1, retrySingly: isDataError },
  );

  async function resolve(body: unknown, meta: RequestMeta): Promise<AcceptContext> {
    const parsed = parseCallbackInput(body);
    if (!parsed.ok) throw new ValidationError(parsed.fields);
    const input = parsed.value;
    let entry: SubscriberEntry | null;
    try {
      entry = await deps.subscribers.get(input.subscriber);
    } catch (err) {
      throw new UnavailableError();
    }
    if (!entry) throw SubscriberNotFoundError.named(input.subscriber);
    const { subscriber } = entry;
    if (subscriber.status !== 'active') throw new SubscriberSuspendedError();
    const phone = parsePhone(input.phone, subscriber.country);
    if (!phone.ok) throw new ValidationError([{ field: 'phone', code: phone.code, message: phone.message }]);
    const department = answeringDepartment(entry, input.department);
    let scheduledAt: Date | null = null;
    if (input.scheduledAt) {
      scheduledAt = new Date(input.scheduledAt);
      const ahead = scheduledAt.getTime() - Date.now();
      if (ahead < -5 * 60_000) throw new ValidationError([{ field: 'scheduledAt', code: 'scheduled_in_past', message: 'The requested time has passed.' }]);
      if (ahead > MAX_SCHEDULE_AHEAD_MS) throw new ValidationError([{ field: 'scheduledAt', code: 'scheduled_too_far', message: 'Call-backs can be scheduled at most 30 days ahead.' }]);
      if (ahead <= 30_000) scheduledAt = null;
    }
    return { input, meta, entry, department, phone: { e164: phone.e164, country: phone.country, type: phone.type }, scheduledAt };
  }

  async function accept(body: unknown, meta: RequestMeta): Promise<AcceptResult> {
    const ctx = await resolve(body, meta);
    for (const guard of guards) {
      const existing = await guard(ctx);
      if (existing) return existing;
    }
    const slot = ctx.scheduledAt ?? (deps.firstSlot ? await deps.firstSlot(ctx) : null);
    const { token, hash } = newStatusToken();
    const id = randomUUID();
    let screening: NumberScreening;
    try {
      screening = await insertOne({
        id,
        subscriberId: ctx.entry.subscriber.id,
        departmentId: ctx.department?.id ?? null,
        phoneE164: ctx.phone.e164,
        visitorName: ctx.input.name || null,
        message: ctx.input.message || null,
        pageUrl: cleanUrl(ctx.input.pageUrl),
        // Only what the page says: the HTTP Referer of this POST names the page (widget) or the form itself,
        // never where the visitor came from.
        referrer: cleanUrl(ctx.input.referrer),
        ip: meta.ip,
        userAgent: meta.userAgent?.slice(0, 500) ?? null,
        source: meta.source,
        scheduledAt: slot,
        status: slot ? 'scheduled' : 'queued',
        tokenHash: hash,
      });
    } catch (err) {
      deps.log.error({ err }, 'could not store call-back request');
      throw new UnavailableError();
    }
    if (screening.optedOut) {
      const refusal = new ForbiddenError('number_opted_out', 'The owner of this number asked not to be called by this service.');
      deps.notStored?.(ctx, refusal);
      throw refusal;
    }
    if (screening.open) {
      const duplicate = asDuplicate(meta, screening.open);
      deps.notStored?.(ctx, duplicate);
      return duplicate;
    }
    // Committed, and stored as handed to the queue (enqueued_at set by the insert): from here on the request is
    // never lost. Writing the mark afterwards cost an UPDATE per request that touched every index of the table,
    // a third of PostgreSQL's work on this path (npm run bench). If the job cannot be added (Redis down) the
    // mark is taken back and the outbox relay adds it later; if this process dies in between, the schedule
    // recovery (src/schedule/schedule-recovery.ts) finds the request overdue without a job and adds it.
    const delayMs = slot ? slot.getTime() - Date.now() : 0;
    try {
      await deps.queue.enqueue(id, { delayMs, timeoutMs: 500 });
    } catch (err) {
      deps.log.warn({ requestId: id, err: (err as Error).message }, 'queue unavailable; request kept in the outbox');
      await markNotEnqueued(deps.pool, id).catch((e: Error) => deps.log.error({ requestId: id, err: e.message }, 'outbox mark failed; schedule recovery will enqueue the request'));
    }
    // Debug, not info: the stored request and its history are the record; a synchronous log line per request
    // cost ~0.2 ms of CPU (7% of the accept path) in the bench. Refusals and failures still log at warn.
    deps.log.debug({ requestId: id, subscriber: ctx.entry.subscriber.slug, source: meta.source, scheduled: !!slot }, 'call-back request accepted');
    return { id, status: slot ? 'scheduled' : 'queued', statusToken: token, statusUrl: statusUrl(deps.publicUrl, id, token) };
  }

  return { accept: countAccepts(accept), resolve };
}

export type AcceptService = ReturnType<typeof createAcceptService>;
