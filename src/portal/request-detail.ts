import { DateTime } from 'luxon';
import type { CallbackRequest } from '../requests/callback.types.ts';
import type { AttemptDetail } from '../calls/attempt.repository.ts';
import { formatCents } from '../accounting/rating.ts';
import { WAITING_STATUSES } from '../requests/request-lifecycle.ts';

/**
 * The portal's request page as the owner reads it (pure: data in, strings out): how the visitor reached the business
 * (a call-back to their phone, or a web call from the browser, which has no phone number), what the visitor gave, every
 * status move and call attempt with its cause and durations, the agent and disposition, and the call records
 * with their charges, every time in the subscriber's own zone.
 */
export interface RequestDetailInput {
  request: CallbackRequest & { departmentName: string | null };
  history: { from: string | null; to: string; reason: string | null; at: Date }[];
  attempts: AttemptDetail[];
  offers: { agentName: string; mode: string; outcome: string | null; offeredAt: Date; endedAt: Date | null }[];
  disposition: { disposition: string; notes: string; agentName: string | null; updatedAt: Date } | null;
  records: {
    attemptId: string; leg: string; agent: string | null; toNumber: string | null; toEndpoint: string | null; startedAt: Date;
    answeredAt: Date | null; endedAt: Date; durationSec: number; billableSec: number; billedSec: number; disposition: string;
    hangupCause: number | null; hangupCauseTxt: string | null; chargeCents: number;
  }[];
  timezone: string;
  currency: string;
}

/** "1 min 05 s", "42 s"; null when either end is missing (still running or never happened). */
export function duration(from: Date | null, to: Date | null): string | null {
  if (!from || !to) return null;
  const s = Math.max(0, Math.round((to.getTime() - from.getTime()) / 1000));
  if (s < 60) return `${s} s`;
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return h ? `${h} h ${String(m).padStart(2, '0')} min` : `${m} min ${String(r).padStart(2, '0')} s`;
}

const OUTCOMES: Record<string, string> = {
  answered: 'answered and put through', busy: 'line busy', no_answer: 'no answer', rejected: 'call rejected', failed: 'call failed',
  callee_unanswered: 'your side did not answer', no_human: 'no key pressed (answering machine?)', abandoned: 'visitor hung up before being put through',
  canceled: 'canceled', refused: 'not dialed (refused by a check)',
};

/** How the visitor reached the business, as the portal names it: we rang their phone, or they called from the browser. */
export function requestKindText(kind: CallbackRequest['kind']): string {
  return kind === 'webcall' ? 'Web call' : 'Call-back';
}

/** Which leg a call record is, in the owner's words: a web call's visitor leg is the browser's, not a phone's. */
function legText(leg: string, webCall: boolean): string {
  return webCall && leg === 'visitor' ? 'visitor (browser)' : leg;
}

export function requestDetailView(d: RequestDetailInput) {
  const at = (x: Date | null) => (x ? DateTime.fromJSDate(x, { zone: d.timezone }).toFormat('yyyy-LL-dd HH:mm:ss') : null);
  const r = d.request;
  const agentByAttempt = new Map(d.records.filter((x) => x.agent).map((x) => [x.attemptId, x.agent!]));
  const total = d.records.reduce((n, x) => n + x.chargeCents, 0);
  const webCall = r.kind === 'webcall';
  return {
    id: r.id,
    // a web call has no phone number: the visitor called from the browser
    webCall, kindText: requestKindText(r.kind),
    visitor: {
      name: r.visitorName, phone: r.phoneE164, message: r.message, pageUrl: r.pageUrl, referrer: r.referrer,
      department: r.departmentName, source: r.source, created: at(r.createdAt), scheduled: at(r.scheduledAt),
    },
    status: r.status, statusReason: r.statusReason, finished: at(r.finishedAt), attemptCount: r.attemptCount,
    cancelable: WAITING_STATUSES.includes(r.status),
    history: d.history.map((h, i) => ({
      at: at(h.at), from: h.from, to: h.to, reason: h.reason,
      // how long the request stayed in the state this row entered
      lasted: duration(h.at, d.history[i + 1]?.at ?? r.finishedAt ?? null),
    })),
    attempts: d.attempts.map((a) => ({
      n: a.n, state: a.state, outcome: a.outcome, outcomeText: a.outcome ? OUTCOMES[a.outcome] ?? a.outcome : 'in progress',
      cause: a.cause, causeTxt: a.causeTxt, callee: a.calleeEndpoint, calleeKind: a.calleeKind,
      agent: agentByAttempt.get(a.id) ?? null,
      started: at(a.startedAt), ended: at(a.endedAt),
      ringing: duration(a.startedAt, a.answeredAt ?? a.endedAt),
      talk: duration(a.calleeAnsweredAt, a.endedAt),
      total: duration(a.startedAt, a.endedAt),
      transitions: a.transitions.map((t) => ({ ...t, at: at(t.at) })),
    })),
    offers: d.offers.map((o) => ({ ...o, offered: at(o.offeredAt), lasted: duration(o.offeredAt, o.endedAt), outcome: o.outcome ?? 'open' })),
    disposition: d.disposition ? { ...d.disposition, updated: at(d.disposition.updatedAt) } : null,
    records: d.records.map((x) => ({
      ...x, leg: legText(x.leg, webCall), to: x.toNumber ?? x.toEndpoint ?? (webCall && x.leg === 'visitor' ? 'browser' : null),
      started: at(x.startedAt), charge: `${formatCents(x.chargeCents)} ${d.currency}`,
      attemptN: d.attempts.find((a) => a.id === x.attemptId)?.n ?? null,
    })),
    totalCharge: `${formatCents(total)} ${d.currency}`,
  };
}
