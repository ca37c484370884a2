/** The event types an endpoint may take, in the order the portal lists them (payloads: docs/webhooks.md). */
export const WEBHOOK_EVENTS = [
  'callback.created', 'callback.scheduled', 'attempt.ended', 'callback.completed', 'callback.failed',
  'webcall.ended', 'chat.message', 'chat.closed',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];

export const isWebhookEvent = (s: string): s is WebhookEventType => (WEBHOOK_EVENTS as readonly string[]).includes(s);

/** What one delivery POSTs: the event's id (the same in every delivery of it, also a "send again"), type, time and data. */
export interface WebhookPayload { id: string; type: string; createdAt: string; data: Record<string, unknown> }
