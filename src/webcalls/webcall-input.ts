import { z } from 'zod';
import type { FieldError } from '../platform/errors.ts';
import { singleLine } from '../platform/validation/text.ts';

/**
 * A web call as the browser asks for it (POST /api/v1/webcalls). No phone: the visitor calls from the browser.
 * `visitorId` is the browser's own id (the widget keeps one in localStorage), which the ticket is bound to and
 * the per-visitor limit counts.
 */
export const WebcallInput = z.object({
  subscriber: z.string({ error: 'subscriber is required' }).trim().min(1, 'subscriber is required').max(64),
  department: z.string().trim().max(100).optional().nullable(),
  visitorId: z.string({ error: 'visitorId is required' }).regex(/^[A-Za-z0-9_-]{16,64}$/, 'visitorId must be 16 to 64 letters, digits, - or _'),
  // One line: the name becomes the callee's caller id.
  name: z.string().transform(singleLine).pipe(z.string().trim().max(100, 'name is too long (100 characters at most)')).optional().nullable(),
  message: z.string().trim().max(1000, 'message is too long (1000 characters at most)').optional().nullable(),
  pageUrl: z.string().trim().max(2048, 'pageUrl is too long').optional().nullable(),
  formToken: z.string().max(500).optional().nullable(),
  website: z.string().max(500).optional().nullable(), // honeypot: humans never see it
}).passthrough();

export type WebcallInput = z.infer<typeof WebcallInput>;

export function parseWebcallInput(body: unknown): { ok: true; value: WebcallInput } | { ok: false; fields: FieldError[] } {
  const result = WebcallInput.safeParse(body ?? {});
  if (result.success) return { ok: true, value: result.data };
  const fields = result.error.issues.map((i) => {
    const field = String(i.path[0] ?? 'body');
    const given = body && typeof body === 'object' ? (body as Record<string, unknown>)[field] : undefined;
    const code = field === 'body' ? 'body_invalid' : given === undefined || given === null || given === '' ? `${field}_required` : `${field}_invalid`;
    return { field, code, message: i.message };
  });
  return { ok: false, fields };
}
