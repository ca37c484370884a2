import type { Pool } from '../platform/db/pool.ts';
import type { OperatorDestinations } from '../policy/destination-policy.ts';
import { findDepartment, findSubscriberById } from '../subscribers/subscriber.repository.ts';
import { partiesOf, type DialStore } from './session/dial-store.ts';
import { calleePhoneRefusal, presentedNumber, visitorRefusal } from './flow/dial-check.ts';
import { callerId, trunkEndpoint } from './flow/dial-strings.ts';

/**
 * The checks made right before a leg is rung, on the request's subscriber and department read afresh: whatever was
 * true when the attempt started may have changed while it ran (a phone changed, a verification cleared, the
 * operator's destinations narrowed). Each says why not, in words for the owner, or what to dial.
 */
export class LegChecks {
  constructor(private readonly deps: { pool: Pool; store: DialStore; destinations: OperatorDestinations; trunk: string }) {}

  /**
   * Right before an agent-first call's visitor leg (the agent was offered the call and rung first): the visitor's
   * number against the policy as it is now, and the caller id from the subscriber's verified numbers as they are now.
   */
  async visitorNow(requestId: string): Promise<{ refused: string } | { callerId: string }> {
    const found = await this.deps.store.load(requestId);
    const { subscriber, department } = found ? partiesOf(found) : { subscriber: null, department: null };
    if (!found || !subscriber) return { refused: 'refused: the subscriber no longer exists' };
    const refused = visitorRefusal(found.request.phoneE164, subscriber, this.deps.destinations);
    if (refused) return { refused: refused.reason };
    return { callerId: callerId(subscriber.name, presentedNumber(subscriber, department) ?? '') };
  }

  /**
   * Right before the callee leg of a call whose callee is a phone: the phone this attempt was set up to ring must
   * still be the one the subscriber and department name, verified and allowed.
   */
  async calleeNow(requestId: string, endpoint: string): Promise<string | null> {
    const found = await this.deps.store.load(requestId);
    const { subscriber, department } = found ? partiesOf(found) : { subscriber: null, department: null };
    if (!subscriber) return 'refused: the subscriber no longer exists';
    const phone = department?.phoneE164 ?? subscriber.phoneE164;
    if (!phone || trunkEndpoint(this.deps.trunk, phone) !== endpoint) {
      return 'refused: the phone to connect the call to changed during the call; verify the new one in the portal';
    }
    return calleePhoneRefusal(phone, subscriber, department, this.deps.destinations)?.reason ?? null;
  }

  /**
   * A department's phone as the target of a transfer, checked right before it is rung like any callee phone
   * (verified, allowed): its endpoint and name, or why not.
   */
  async phoneTransferTarget(subscriberId: string, departmentId: string): Promise<{ endpoint: string; name: string } | { refused: string }> {
    const subscriber = await findSubscriberById(this.deps.pool, subscriberId);
    const department = subscriber ? await findDepartment(this.deps.pool, subscriberId, departmentId) : null;
    if (!subscriber || !department) return { refused: 'refused: no such department' };
    const refused = calleePhoneRefusal(department.phoneE164, subscriber, department, this.deps.destinations);
    if (refused) return { refused: refused.reason };
    return { endpoint: trunkEndpoint(this.deps.trunk, department.phoneE164!), name: department.name };
  }
}
