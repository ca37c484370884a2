import type { Pool } from '../platform/db/pool.ts';
import { findPasswordHash, findSubscriberBySlug, insertDepartment, insertDomain, insertSubscriber, setPasswordHash } from '../subscribers/subscriber.repository.ts';
import { hashPassword } from '../auth/password.ts';
import { seedDemoAgent } from '../agents/demo-agent.ts';

/** The demo subscriber's portal login (/login); DEMO_PASSWORD overrides the password. Demo data only. */
export const DEMO_LOGIN = { email: 'demo@example.com', password: process.env.DEMO_PASSWORD || 'demo-password-123' };

/**
 * The demo subscriber the README describes: slug `demo`, country US, owning localhost and 127.0.0.1, with a
 * phone and two departments whose simulated phones answer (numbers ending in 1-5 answer in the simulator).
 */
export async function seedDemo(pool: Pool): Promise<void> {
  const existing = await findSubscriberBySlug(pool, 'demo');
  if (existing) {
    // Idempotent on an existing database: the demo subscriber always has a portal login, its password set once.
    if (!(await findPasswordHash(pool, existing.id))) await setPasswordHash(pool, existing.id, await hashPassword(DEMO_LOGIN.password));
    return;
  }
  const s = await insertSubscriber(pool, {
    slug: 'demo', name: 'Demo Shop', email: 'demo@example.com', country: 'US', timezone: 'America/New_York',
    phoneE164: '+12025550111', phoneVerified: true, passwordHash: await hashPassword(DEMO_LOGIN.password),
  });
  for (const host of ['localhost', '127.0.0.1']) await insertDomain(pool, s.id, host).catch(() => {});
  await insertDepartment(pool, { subscriberId: s.id, name: 'Sales', phoneE164: '+12025550122', verified: true, position: 1 });
  await insertDepartment(pool, { subscriberId: s.id, name: 'Support', phoneE164: '+12025550133', verified: true, position: 2 });
  await seedDemoAgent(pool, s.id);
}
