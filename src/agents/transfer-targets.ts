import type { Queryable } from '../platform/db/pool.ts';
import type { Department } from '../subscribers/subscriber.types.ts';
import { listDepartments } from '../subscribers/subscriber.repository.ts';
import { listTransferTargets } from './agent.repository.ts';

/** Where a call in progress can be transferred: an agent (reserved for it) or a department's verified phone. */
export type TransferTarget = { kind: 'agent' | 'department'; id: string; label: string };

/** Departments whose phone is verified (pure): only a verified number is ever rung on a subscriber's behalf. */
export function phoneTargets(departments: Department[]): TransferTarget[] {
  return departments.filter((d) => d.phoneE164 && d.phoneVerifiedAt).map((d) => ({ kind: 'department' as const, id: d.id, label: `${d.name} (phone)` }));
}

/** Agents of the subscriber available now (but `agentId`), then its departments with a verified phone. */
export async function transferTargets(db: Queryable, subscriberId: string, agentId: string): Promise<TransferTarget[]> {
  const [agents, departments] = await Promise.all([listTransferTargets(db, subscriberId, agentId), listDepartments(db, subscriberId)]);
  return [...agents.map((a) => ({ kind: 'agent' as const, ...a })), ...phoneTargets(departments)];
}
