import { z } from 'zod';
import type { FieldError } from '../platform/errors.ts';
import { singleLine } from '../platform/validation/text.ts';

/** The fields every visitor request shares (a call-back, a web call): who it is for, who asks, from where. */
export const VISITOR_REQUEST_FIELDS = {
  subscriber: z.string({ error: 'subscriber is required' }).trim().min(1, 'subscriber is required').max(64),
  // One line: a line break in a name is never meant, and the name becomes the callee's caller id.
  name: z.string().transform(singleLine).pipe(z.string().trim().max(100, 'name is too long (100 characters at most)')).optional().nullable(),
  department: z.string().trim().max(100).optional().nullable(),
  message: z.string().trim().max(1000, 'message is too long (1000 characters at most)').optional().nullable(),
  pageUrl: z.string().trim().max(2048, 'pageUrl is too long').optional().nullable(),
  formToken: z.string().max(500).optional().nullable(),
  website: z.string().max(500).optional().nullable(), // honeypot: humans never see it
};

const F = VISITOR_REQUEST_FIELDS;

/**
 * The shape of a call-back request as it arrives at the edge (API JSON, hosted form, widget).
 * Phone parsing needs the subscriber's country, so the phone is checked later, in the accept service.
 * Keys stand in the order problems are reported in.
 */
export const CallbackInput = z.object({
  subscriber: F.subscriber,
  phone: z.string({ error: 'phone is required' }).max(40, 'phone is too long'),
  name: F.name,
  department: F.department,
  message: F.message,
  pageUrl: F.pageUrl,
  referrer: z.string().trim().max(2048).optional().nullable(),
  scheduledAt: z.string().datetime({ offset: true, error: 'scheduledAt must be an ISO 8601 date-time' }).optional().nullable(),
  consent: z.union([z.literal(true), z.literal('on'), z.literal('true'), z.literal('yes')], { error: 'Please tick the box to agree that we may call you at this number.' }),
  formToken: F.formToken,
  website: F.website,
}).passthrough();

export type CallbackInput = z.infer<typeof CallbackInput>;

export function parseCallbackInput(body: unknown): { ok: true; value: CallbackInput } | { ok: false; fields: FieldError[] } {
  return parseRequestBody(CallbackInput, body);
}

/**
 * Parses a visitor request body with `schema`: each problem named by its field, `<field>_required` when the field
 * was not given and `<field>_invalid` otherwise.
 */
export function parseRequestBody<T>(schema: z.ZodType<T>, body: unknown): { ok: true; value: T } | { ok: false; fields: FieldError[] } {
  const result = schema.safeParse(body ?? {});
  if (result.success) return { ok: true, value: result.data };
  const fields = result.error.issues.map((i) => {
    const field = String(i.path[0] ?? 'body');
    const given = body && typeof body === 'object' ? (body as Record<string, unknown>)[field] : undefined;
    const code = field === 'body' ? 'body_invalid' : given === undefined || given === null || given === '' ? `${field}_required` : `${field}_invalid`;
    return { field, code, message: i.message };
  });
  return { ok: false, fields };
}

/** Only http(s) page URLs are kept; anything else (javascript:, data:) is dropped rather than stored. */
export function cleanUrl(value: string | null | undefined): string | null {
  if (!value) return null;
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.toString() : null;
  } catch {
    return null;
  }
}
