import { z } from 'zod';
import type { FieldError } from '../platform/errors.ts';
import { VISITOR_REQUEST_FIELDS, parseRequestBody } from '../requests/callback-input.ts';

/**
 * A web call as the browser asks for it (POST /api/v1/webcalls). No phone: the visitor calls from the browser.
 * `visitorId` is the browser's own id (the widget keeps one in localStorage), which the ticket is bound to and
 * the per-visitor limit counts.
 */
// Keys in the order problems are reported in.
const F = VISITOR_REQUEST_FIELDS;
export const WebcallInput = z.object({
  subscriber: F.subscriber,
  department: F.department,
  visitorId: z.string({ error: 'visitorId is required' }).regex(/^[A-Za-z0-9_-]{16,64}$/, 'visitorId must be 16 to 64 letters, digits, - or _'),
  name: F.name,
  message: F.message,
  pageUrl: F.pageUrl,
  formToken: F.formToken,
  website: F.website,
}).passthrough();

export type WebcallInput = z.infer<typeof WebcallInput>;

export function parseWebcallInput(body: unknown): { ok: true; value: WebcallInput } | { ok: false; fields: FieldError[] } {
  return parseRequestBody(WebcallInput, body);
}
