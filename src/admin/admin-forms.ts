import { z } from 'zod';
import { parseCents, parseMicros } from '../accounting/rating.ts';
import type { RateInput } from '../accounting/accounting.repository.ts';
import { isUuid, uuidSchema } from '../platform/validation/ids.ts';

const uuid = uuidSchema;

const RateForm = z.object({
  plan: z.union([z.literal(''), uuid]).default(''),
  // `web`: the rate of web calls' browser legs (src/accounting/rating.ts rateWebLeg).
  prefix: z.string().trim().regex(/^(\+?[0-9]{0,15}|web)$/, 'Digits only, e.g. 1 or 44 or 1202, or web for the browser leg of web calls.').transform((p) => p.replace(/^\+/, '')),
  description: z.string().trim().max(100).default(''),
  price: z.string().trim().transform((v, ctx) => {
    const m = parseMicros(v);
    if (m === null) { ctx.addIssue({ code: 'custom', message: 'Price per minute like 0.012 (up to 6 decimals).' }); return z.NEVER; }
    return m;
  }),
  minSeconds: z.coerce.number().int().min(0).max(3600),
  incrementSeconds: z.coerce.number().int().min(1).max(3600),
  minCharge: z.string().trim().default('0').transform((v, ctx) => {
    const c = parseCents(v || '0');
    if (c === null) { ctx.addIssue({ code: 'custom', message: 'Minimum charge like 0.05.' }); return z.NEVER; }
    return c;
  }),
});

/** The rate editor's form, checked once here; the error names the field in words. */
export function parseRateForm(body: unknown): { ok: true; value: RateInput } | { ok: false; error: string } {
  const r = RateForm.safeParse(body ?? {});
  if (!r.success) {
    const i = r.error.issues[0]!;
    return { ok: false, error: `${String(i.path[0] ?? 'form')}: ${i.message}` };
  }
  const v = r.data;
  return { ok: true, value: { planId: v.plan || null, prefix: v.prefix, description: v.description, pricePerMinMicros: v.price, minSeconds: v.minSeconds, incrementSeconds: v.incrementSeconds, minChargeCents: v.minCharge } };
}

const PlanForm = z.object({
  name: z.string().trim().min(1).max(60),
  fee: z.string().trim().default('0').transform((v, ctx) => {
    const c = parseCents(v || '0');
    if (c === null) { ctx.addIssue({ code: 'custom', message: 'Monthly fee like 9.99.' }); return z.NEVER; }
    return c;
  }),
});

export function parsePlanForm(body: unknown): { ok: true; value: { name: string; monthlyFeeCents: number } } | { ok: false; error: string } {
  const r = PlanForm.safeParse(body ?? {});
  if (!r.success) return { ok: false, error: `${String(r.error.issues[0]!.path[0])}: ${r.error.issues[0]!.message}` };
  return { ok: true, value: { name: r.data.name, monthlyFeeCents: r.data.fee } };
}

export { isUuid };
