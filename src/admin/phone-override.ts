import Router from 'koa-router';
import { z } from 'zod';
import { requireOperator } from './operator-session.ts';
import { verifyCsrf } from '../auth/csrf.ts';
import { getSession } from '../auth/session.ts';
import { withTransaction, type Pool } from '../platform/db/pool.ts';
import { ConflictError, DepartmentNotFoundError, SubscriberNotFoundError, ValidationError } from '../platform/errors.ts';
import type { AppState } from '../web/context.ts';
import type { Logger } from '../platform/logger.ts';
import type { SubscriberCache } from '../subscribers/subscriber-cache.ts';
import { findDepartment, findSubscriberById, isUuid, listDepartments, markPhoneVerified } from '../subscribers/subscriber.repository.ts';
import type { Subscriber } from '../subscribers/subscriber.types.ts';
import { findOperatorById } from './operator.repository.ts';
import { insertAuditEntry, listAuditEntries } from './operator-audit.repository.ts';

const OverrideForm = z.object({
  department: z.union([z.literal(''), z.string().uuid('Unknown department.')]).optional().default(''),
  /** the number the operator saw: if it changed meanwhile, the new one is not verified by this */
  phone: z.string().regex(/^\+[1-9][0-9]{5,15}$/, 'Unknown phone number.'),
  reason: z.string().trim().min(3, 'Give the reason (at least 3 characters): it is kept in the audit log.').max(500, 'Keep the reason under 500 characters.'),
});

/** The phones an operator may mark verified on a subscriber's admin page, and the audit log under them. */
export async function phoneOverrideView(pool: Pool, s: Subscriber) {
  const [departments, audit] = await Promise.all([listDepartments(pool, s.id), listAuditEntries(pool, s.id)]);
  const phones = [
    ...(s.phoneE164 ? [{ label: 'Account phone', department: '', phone: s.phoneE164, verified: !!s.phoneVerifiedAt }] : []),
    ...departments.filter((d) => d.answeredBy === 'phone' && d.phoneE164).map((d) => ({ label: d.name, department: d.id, phone: d.phoneE164!, verified: !!d.phoneVerifiedAt })),
  ];
  return {
    phones,
    audit: audit.map((a) => ({ ...a, what: `${a.departmentId ? `${a.departmentName ?? 'a removed department'}: ` : 'Account phone: '}${a.phoneE164 ?? ''} marked verified` })),
  };
}

/**
 * POST /admin/subscribers/:id/phone-verified: an operator marks a subscriber's or a department's phone verified
 * without a verification call (support cases where the call cannot be heard), with a required reason. The mark
 * and its audit row are one transaction; only the number the operator saw is marked (a number changed meanwhile
 * is not), and an already verified phone is a 409.
 */
export function phoneOverrideRoutes(deps: { pool: Pool; subscribers: SubscriberCache; log: Logger }): Router<AppState, {}> {
  const router = new Router<AppState, {}>();
  router.post('/admin/subscribers/:id/phone-verified', requireOperator(deps.pool), verifyCsrf(), async (ctx) => {
    const id = ctx.params.id;
    const s = isUuid(id) ? await findSubscriberById(deps.pool, id) : null;
    if (!s) throw new SubscriberNotFoundError();
    const form = OverrideForm.safeParse((ctx.request as unknown as { body?: unknown }).body ?? {});
    if (!form.success) {
      throw ValidationError.fromIssues(form.error.issues, 'form');
    }
    const { department, phone, reason } = form.data;
    const dept = department ? await findDepartment(deps.pool, s.id, department) : null;
    if (department && !dept) throw new DepartmentNotFoundError('No such department for this subscriber.');
    const current = dept ? dept.phoneE164 : s.phoneE164;
    const verified = dept ? !!dept.phoneVerifiedAt : !!s.phoneVerifiedAt;
    if (current !== phone) throw new ConflictError('phone_changed', `The number is now ${current ?? 'removed'}, not ${phone}: reload the page and check again.`);
    if (verified) throw new ConflictError('already_verified', `${phone} is already verified.`);
    const operatorId = (ctx.state.user as { id: string }).id;
    const operator = await findOperatorById(deps.pool, operatorId);
    const marked = await withTransaction(deps.pool, async (tx) => {
      if (!(await markPhoneVerified(tx, s.id, dept?.id ?? null, phone))) return false;
      await insertAuditEntry(tx, {
        subscriberId: s.id, operatorId: operator?.id ?? null, operatorEmail: operator?.email ?? `operator:${operatorId}`,
        action: 'phone_verified', departmentId: dept?.id ?? null, phoneE164: phone, reason,
      });
      return true;
    });
    if (!marked) throw new ConflictError('phone_changed', 'The number changed meanwhile: reload the page and check again.');
    deps.subscribers.invalidate(s.slug);
    deps.log.info({ operator: operatorId, subscriber: s.slug, department: dept?.id ?? null }, 'phone marked verified by an operator');
    getSession(ctx)!.flash = `${phone} (${dept ? dept.name : 'account phone'}) is now verified. The reason is in the audit log below.`;
    ctx.status = 303;
    ctx.redirect(`/admin/subscribers/${s.id}`);
  });
  return router;
}
