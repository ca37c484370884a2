import { DateTime } from 'luxon';
import type { EmailTemplates, MailParts } from './email-templates.ts';
import { NOTICE_LABELS, type NoticeKind } from './notice-kinds.ts';

/**
 * What one notice says: its subject and the data of its templates, from what was captured when it was decided
 * (the request or the counts) and the owner's zone for times. Pure apart from rendering.
 */
export interface NoticeMailInput {
  kind: NoticeKind;
  payload: Record<string, unknown>;
  subscriber: { name: string; timezone: string };
  publicUrl: string;
  unsubscribeUrl: string;
}

const TEMPLATE: Record<NoticeKind, string> = {
  new_request: 'new-request', missed: 'missed', digest: 'digest', chat_unanswered: 'chat-unanswered', webhook_disabled: 'webhook-disabled',
};

/** A URL's host, for a subject line (its path and query stay in the body: a query may carry a secret). */
const hostOf = (v: unknown): string | null => {
  try { return typeof v === 'string' ? new URL(v).host : null; } catch { return null; }
};

const localTime = (v: unknown, zone: string): string | null => {
  if (typeof v !== 'string') return null;
  const t = DateTime.fromISO(v, { zone });
  return t.isValid ? t.toFormat('yyyy-LL-dd HH:mm') : null;
};

export function subjectOf(kind: NoticeKind, p: Record<string, unknown>, subscriberName: string): string {
  const who = String(p.visitorName || p.phone || (p.kind === 'webcall' ? 'a web call' : 'a visitor'));
  switch (kind) {
    case 'new_request': return `New call-back request from ${who}`;
    case 'missed': return `Missed call-back: ${who}`;
    case 'digest': return `${subscriberName} on ${p.day}: ${p.requests} requests, ${p.completed} completed, ${p.missed} missed`;
    case 'chat_unanswered': return 'A visitor wrote while nobody was online';
    case 'webhook_disabled': return `Your webhook to ${hostOf(p.url) ?? 'an endpoint'} was turned off`;
  }
}

export function composeNotice(t: EmailTemplates, n: NoticeMailInput): MailParts {
  const p = n.payload;
  const zone = n.subscriber.timezone;
  const data = {
    ...p,
    subscriberName: n.subscriber.name,
    created: localTime(p.createdAt, zone),
    finished: localTime(p.finishedAt, zone),
    disabled: localTime(p.disabledAt, zone),
    failingSince: localTime(p.failingSince, zone),
    zone,
    requestUrl: typeof p.requestId === 'string' ? `${n.publicUrl}/portal/requests/${p.requestId}` : null,
    // An unanswered chat is answered in the inbox, a webhook turned on again on its endpoint's page; every other
    // notice points at the portal's overview.
    portalUrl: n.kind === 'chat_unanswered' ? `${n.publicUrl}/portal/inbox`
      : n.kind === 'webhook_disabled' && typeof p.endpointId === 'string' ? `${n.publicUrl}/portal/webhooks/${p.endpointId}`
        : `${n.publicUrl}/portal`,
    settingsUrl: `${n.publicUrl}/portal/notices`,
    unsubscribeUrl: n.unsubscribeUrl,
    eventLabel: NOTICE_LABELS[n.kind],
  };
  return { subject: subjectOf(n.kind, p, n.subscriber.name), ...t(TEMPLATE[n.kind], data) };
}

/** The forgotten-password mail: the one-time link, and what to do if the reader did not ask. */
export function composePasswordReset(t: EmailTemplates, o: { name: string; link: string; validHours: number }): MailParts {
  return { subject: 'Set a new Beckon password', ...t('password-reset', { ...o, unsubscribeUrl: null }) };
}
