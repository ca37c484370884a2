import type { Queryable } from '../platform/db/pool.ts';

// Owner of operator_audit_log: what operators did to an account by hand, and why.

export type AuditAction = 'phone_verified';

export interface AuditEntry {
  id: string;
  subscriberId: string;
  operatorEmail: string;
  action: AuditAction;
  departmentId: string | null;
  /** the department's name as it is now (null for the subscriber's own phone, or a department since removed) */
  departmentName: string | null;
  phoneE164: string | null;
  reason: string;
  createdAt: Date;
}

export async function insertAuditEntry(db: Queryable, e: {
  subscriberId: string; operatorId: string | null; operatorEmail: string; action: AuditAction; departmentId: string | null; phoneE164: string | null; reason: string;
}): Promise<void> {
  await db.query(
    `INSERT INTO operator_audit_log (subscriber_id, operator_id, operator_email, action, department_id, phone_e164, reason)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [e.subscriberId, e.operatorId, e.operatorEmail, e.action, e.departmentId, e.phoneE164, e.reason],
  );
}

/** Newest first. */
export async function listAuditEntries(db: Queryable, subscriberId: string, limit = 100): Promise<AuditEntry[]> {
  const { rows } = await db.query(
    `SELECT a.id, a.subscriber_id, a.operator_email, a.action, a.department_id, d.name AS department_name, a.phone_e164, a.reason, a.created_at
       FROM operator_audit_log a LEFT JOIN departments d ON d.id = a.department_id
      WHERE a.subscriber_id = $1 ORDER BY a.created_at DESC, a.id DESC LIMIT $2`,
    [subscriberId, limit],
  );
  return rows.map((r) => ({
    id: String(r.id), subscriberId: r.subscriber_id, operatorEmail: r.operator_email, action: r.action, departmentId: r.department_id,
    departmentName: r.department_name, phoneE164: r.phone_e164, reason: r.reason, createdAt: r.created_at,
  }));
}
