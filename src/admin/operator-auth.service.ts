import type { Pool } from '../platform/db/pool.ts';
import type { Logger } from '../platform/logger.ts';
import { hashPassword, verifyPassword } from '../auth/password.ts';
import { findOperatorByEmail, touchOperatorLogin, upsertOperator, type OperatorRow } from './operator.repository.ts';

/**
 * ADMIN_EMAIL/ADMIN_PASSWORD is the way in on a fresh install: the operator is created on first use, and
 * its password follows the environment (changing ADMIN_PASSWORD and restarting is the recovery path).
 */
export function createOperatorAuth(d: { pool: Pool; log: Logger; adminEmail?: string; adminPassword?: string }) {
  let bootstrapped: Promise<void> | null = null;
  const bootstrap = (): Promise<void> => {
    if (!d.adminEmail || !d.adminPassword) return Promise.resolve();
    bootstrapped ??= (async () => {
      const existing = await findOperatorByEmail(d.pool, d.adminEmail!);
      if (existing && (await verifyPassword(d.adminPassword!, existing.passwordHash))) return;
      await upsertOperator(d.pool, { email: d.adminEmail!, name: 'Administrator', passwordHash: await hashPassword(d.adminPassword!) });
      d.log.info({ email: d.adminEmail }, existing ? 'operator password reset from ADMIN_PASSWORD' : 'operator created from ADMIN_EMAIL');
    })().catch((err) => { bootstrapped = null; throw err; });
    return bootstrapped;
  };
  return {
    bootstrap,
    /** The operator for these credentials, or null; always spends a hash so timing does not reveal accounts. */
    async verify(email: string, password: string): Promise<OperatorRow | null> {
      await bootstrap();
      const op = await findOperatorByEmail(d.pool, email);
      const ok = await verifyPassword(password, op?.passwordHash ?? null);
      if (!op || !ok) return null;
      await touchOperatorLogin(d.pool, op.id);
      return op;
    },
  };
}
