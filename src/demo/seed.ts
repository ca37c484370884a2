import type { Pool } from '../db/pool.ts';
import { findSubscriberBySlug, insertDepartment, insertDomain, insertSubscriber } from '../subscribers/subscriber.repository.ts';

/**
 * The demo subscriber DESIGN.md promises: slug `demo`, country US, owning localhost and 127.0.0.1, with a
 * phone and two departments whose simulated phones answer (numbers ending in 1-5 answer in the simulator).
 */
export async function seedDemo(pool: Pool): Promise<void> {
  if (await findSubscriberBySlug(pool, 'demo')) return;
  const s = await insertSubscriber(pool, {
    slug: 'demo', name: 'Demo Shop', email: 'demo@example.com', country: 'US', timezone: 'America/New_York',
    phoneE164: '+12025550111', phoneVerified: true,
  });
  for (const host of ['localhost', '127.0.0.1']) await insertDomain(pool, s.id, host).catch(() => {});
  await insertDepartment(pool, { subscriberId: s.id, name: 'Sales', phoneE164: '+12025550122', verified: true, position: 1 });
  await insertDepartment(pool, { subscriberId: s.id, name: 'Support', phoneE164: '+12025550133', verified: true, position: 2 });
}
