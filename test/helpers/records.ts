import type { Department, Subscriber } from '../../src/subscribers/subscriber.types.ts';

/** In-memory records for unit tests of pure decisions: what the repositories would have loaded. */

const VERIFIED_AT = new Date('2026-01-01T00:00:00Z');

/** An active US subscriber 's1' ("shop", UTC) whose own phone +12025550111 is verified; `o` changes any field. */
export const subscriberRecord = (o: Partial<Subscriber> = {}): Subscriber => ({
  id: 's1', slug: 'shop', name: 'Shop', email: null, country: 'US', timezone: 'UTC', phoneE164: '+12025550111', phoneVerifiedAt: VERIFIED_AT,
  status: 'active', settings: {}, ...o,
});

/** Department 'd1' of subscriber 's1', "Sales", answered on its verified phone +12025550122; `o` changes any field. */
export const departmentRecord = (o: Partial<Department> = {}): Department => ({
  id: 'd1', subscriberId: 's1', name: 'Sales', answeredBy: 'phone', phoneE164: '+12025550122', phoneVerifiedAt: VERIFIED_AT, position: 0, ...o,
});
