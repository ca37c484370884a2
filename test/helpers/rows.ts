import { randomUUID } from 'node:crypto';
import type { Queryable } from '../../src/platform/db/pool.ts';
import { insertSubscriber } from '../../src/subscribers/subscriber.repository.ts';
import type { AttemptFlow } from '../../src/calls/attempt.repository.ts';
import { callIds } from '../../src/calls/session/call-ids.ts';

/** Rows written straight into the tables, for tests of the repositories and stores that read and move them. */

/** A subscriber (US, UTC) whose own phone, +12025550111, is verified; resolves with its id. */
export async function insertVerifiedSubscriber(db: Queryable, slug: string, name = slug): Promise<string> {
  return (await insertSubscriber(db, { slug, name, country: 'US', timezone: 'UTC', phoneE164: '+12025550111', phoneVerified: true })).id;
}

/** A callback request as stored after accept, without going through it: queued, from +12025550100, unless `o` says otherwise. */
export async function insertRequestRow(db: Queryable, subscriberId: string, o: { phone?: string; status?: string; departmentId?: string | null } = {}): Promise<string> {
  const { rows } = await db.query(
    `INSERT INTO callback_requests (subscriber_id, department_id, phone_e164, status, token_hash) VALUES ($1, $2, $3, $4, '\\x00') RETURNING id`,
    [subscriberId, o.departmentId ?? null, o.phone ?? '+12025550100', o.status ?? 'queued']);
  return rows[0].id as string;
}

/**
 * A new attempt of `requestId` as worker w1 claims it, with its own id and its legs' call ids, calling the
 * subscriber's phone: ringing the visitor first, or offered to an agent first.
 */
export function newAttempt(requestId: string, flow: AttemptFlow, state = flow === 'agent_first' ? 'offered' : 'visitor_ringing') {
  const id = randomUUID();
  const ids = callIds(id);
  return {
    id, requestId, flow, state, workerId: 'w1',
    visitorChannelId: ids.visitor, calleeChannelId: ids.callee, bridgeId: ids.bridge, calleeKind: 'phone', calleeEndpoint: 'PJSIP/12025550111@carrier',
  };
}
