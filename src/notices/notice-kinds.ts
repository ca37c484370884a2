/**
 * The events an owner can be mailed about, and what is on for an owner who never chose (missed call-backs and a
 * webhook endpoint turned off: the events an owner loses business or data by not hearing of). Pure.
 * `chat_unanswered` (a chat nobody online took) is decided by the chat feature and `webhook_disabled` by the
 * webhook worker, both through `NoticeHook` (notice-hook.ts); the others by the notice pass.
 */
export const NOTICE_KINDS = ['new_request', 'missed', 'digest', 'chat_unanswered', 'webhook_disabled'] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

export type NoticePreferences = Record<NoticeKind, boolean>;

export const DEFAULT_PREFERENCES: NoticePreferences = { new_request: false, missed: true, digest: false, chat_unanswered: false, webhook_disabled: true };

/** The events the settings page offers, in its order (every kind: each has something that decides it). */
export const OFFERED_KINDS: readonly NoticeKind[] = NOTICE_KINDS;

/** What the portal calls each event (the settings page, the unsubscribe page, mail footers). */
export const NOTICE_LABELS: Record<NoticeKind, string> = {
  new_request: 'A new call-back request',
  missed: 'A missed call-back (the request failed or expired)',
  digest: 'A daily digest of yesterday',
  chat_unanswered: 'A new chat while nobody is online',
  webhook_disabled: 'A webhook endpoint turned off after failing',
};

export function isNoticeKind(v: unknown): v is NoticeKind {
  return typeof v === 'string' && (NOTICE_KINDS as readonly string[]).includes(v);
}

/** The preferences a settings form sends: a checkbox present = on. */
export function preferencesFromForm(body: Record<string, unknown>): NoticePreferences {
  return Object.fromEntries(NOTICE_KINDS.map((k) => [k, body[k] === 'on' || body[k] === '1' || body[k] === 'true'])) as NoticePreferences;
}
