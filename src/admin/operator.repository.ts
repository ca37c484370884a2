import type { Queryable } from '../platform/db/pool.ts';
import { isUuid } from '../platform/validation/ids.ts';

// Owner of operators.

export interface OperatorRow {
  id: string; email: string; name: string; passwordHash: string; lastLoginAt: Date | null;
  /** Moves on when the password changes: sessions logged in before it end (operatorSessionIsCurrent). */
  sessionGeneration: number;
}

const toOperator = (r: Record<string, any>): OperatorRow => ({
  id: r.id, email: r.email, name: r.name, passwordHash: r.password_hash, lastLoginAt: r.last_login_at, sessionGeneration: r.session_generation,
});

export async function findOperatorByEmail(db: Queryable, email: string): Promise<OperatorRow | null> {
  const { rows } = await db.query(`SELECT * FROM operators WHERE email = $1`, [email.trim().toLowerCase()]);
  return rows[0] ? toOperator(rows[0]) : null;
}

export async function findOperatorById(db: Queryable, id: string): Promise<OperatorRow | null> {
  const { rows } = await db.query(`SELECT * FROM operators WHERE id = $1`, [id]);
  return rows[0] ? toOperator(rows[0]) : null;
}

/** Creates the operator, or sets its password: a new password ends every session it had. */
export async function upsertOperator(db: Queryable, o: { email: string; name: string; passwordHash: string }): Promise<OperatorRow> {
  const { rows } = await db.query(
    `INSERT INTO operators (email, name, password_hash) VALUES ($1, $2, $3)
     ON CONFLICT (email) DO UPDATE SET password_hash = EXCLUDED.password_hash,
       session_generation = operators.session_generation + CASE WHEN operators.password_hash = EXCLUDED.password_hash THEN 0 ELSE 1 END
     RETURNING *`,
    [o.email.trim().toLowerCase(), o.name, o.passwordHash]);
  return toOperator(rows[0]);
}

export async function touchOperatorLogin(db: Queryable, id: string): Promise<void> {
  await db.query(`UPDATE operators SET last_login_at = now() WHERE id = $1`, [id]);
}

/** Whether an operator's session still holds: the operator exists and its password is the one the session logged in with. */
export async function operatorSessionIsCurrent(db: Queryable, id: string, gen: number): Promise<boolean> {
  if (!isUuid(id)) return false;
  const { rows } = await db.query(`SELECT 1 FROM operators WHERE id = $1 AND session_generation = $2`, [id, gen]);
  return rows.length > 0;
}
