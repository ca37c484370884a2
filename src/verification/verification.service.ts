import type Bull from 'bull';
import type { Logger } from '../platform/logger.ts';
import type { Pool } from '../platform/db/pool.ts';
import { BadRequestError, ConflictError, DepartmentNotFoundError, ForbiddenError, VerificationNotFoundError } from '../platform/errors.ts';
import { accountAgeSec, findSubscriberById, findSubscriberStatus, isUuid, listDepartments, markPhoneVerified } from '../subscribers/subscriber.repository.ts';
import { codeMatches } from './verification-code.ts';
import { operatorNumberRefusal } from '../calls/flow/dial-check.ts';
import type { OperatorDestinations } from '../policy/destination-policy.ts';
import type { VerificationJob } from './verification-queue.ts';
import { countTry, findVerification, insertVerification, markVerified, type Verification } from './verification.repository.ts';
import { callNotPlaced, type VerificationLimits } from './verification-limits.ts';

/**
 * Limits that keep the code from being guessed. How often calls may be asked for is verification-limits.ts
 * (per number, account, IP, and new accounts together; atomic in Redis).
 */
const VERIFY_LIMITS = {
  codeTtlSec: 15 * 60,
  maxTries: 5,
};

export interface VerificationDeps {
  pool: Pool;
  queue: Pick<Bull.Queue<VerificationJob>, 'add'>;
  secret: string;
  log: Logger;
  /** The operator's destination policy: a verification call rings only where the installation may dial. */
  destinations: OperatorDestinations;
  limits: VerificationLimits;
  /** Accounts younger than this (seconds) share the installation-wide ceiling on verification calls. */
  newAccountSec: number;
  /** the accept path caches subscribers; a fresh verification must show at once in this process */
  onVerified?: (subscriberId: string) => void;
}

export type ConfirmResult = 'verified' | 'wrong_code' | 'expired' | 'too_many_tries' | 'phone_changed';

export function createVerificationService(deps: VerificationDeps) {
  /** The phone a target (own phone or a department's) must verify, if any. */
  async function target(subscriberId: string, departmentId: string | null): Promise<{ phone: string; verified: boolean }> {
    if (departmentId) {
      if (!isUuid(departmentId)) throw new DepartmentNotFoundError();
      const dep = (await listDepartments(deps.pool, subscriberId)).find((d) => d.id === departmentId);
      if (!dep) throw new DepartmentNotFoundError();
      if (dep.answeredBy !== 'phone' || !dep.phoneE164) throw new BadRequestError('no_phone', 'This department is answered by agents; there is no phone to verify.');
      return { phone: dep.phoneE164, verified: !!dep.phoneVerifiedAt };
    }
    const s = await findSubscriberById(deps.pool, subscriberId);
    if (!s?.phoneE164) throw new BadRequestError('no_phone', 'Add a phone number first.');
    return { phone: s.phoneE164, verified: !!s.phoneVerifiedAt };
  }

  /**
   * `ip`: the client's address as the edge validated it (ctx.ip), counted against the per-IP limit. A suspended
   * account has no call placed for it (the worker asks again right before dialing).
   */
  async function requestCall(subscriberId: string, departmentId: string | null, ip: string | null = null): Promise<string> {
    if ((await findSubscriberStatus(deps.pool, subscriberId)) !== 'active') {
      throw new ForbiddenError('account_suspended', 'This account is suspended: no verification call can be placed. Contact support.');
    }
    const t = await target(subscriberId, departmentId);
    if (t.verified) throw new ConflictError('already_verified', 'This number is already verified.');
    const refused = operatorNumberRefusal(t.phone, deps.destinations);
    if (refused) throw new ForbiddenError(refused.code, `We cannot call this number: ${refused.reason}. Please use a mobile or landline number in a country this service calls.`);
    const age = await accountAgeSec(deps.pool, subscriberId);
    // Checked and counted in one step: of concurrent requests, only as many as the limits allow get here.
    await deps.limits.take({ subscriberId, departmentId, phoneE164: t.phone, ip, newAccount: age === null || age < deps.newAccountSec });
    const id = await insertVerification(deps.pool, { subscriberId, departmentId, phoneE164: t.phone, ttlSec: VERIFY_LIMITS.codeTtlSec });
    try {
      await deps.queue.add({ verificationId: id }, { jobId: id });
    } catch (err) {
      deps.log.warn({ err: (err as Error).message }, 'could not queue verification call');
      throw callNotPlaced();
    }
    deps.log.info({ subscriberId, departmentId, verificationId: id }, 'verification call requested');
    return id;
  }

  async function confirm(subscriberId: string, verificationId: string, typed: string): Promise<ConfirmResult> {
    const v = await findVerification(deps.pool, subscriberId, verificationId);
    if (!v) throw new VerificationNotFoundError();
    if (v.verifiedAt) return 'verified';
    if (v.expiresAt.getTime() < Date.now()) return 'expired';
    if (v.tries >= VERIFY_LIMITS.maxTries) return 'too_many_tries';
    // Counted before comparing, so parallel guesses cannot slip past the limit.
    const tries = await countTry(deps.pool, v.id);
    if (tries > VERIFY_LIMITS.maxTries) return 'too_many_tries';
    if (!codeMatches(deps.secret, v.id, typed, v.codeHash)) return tries >= VERIFY_LIMITS.maxTries ? 'too_many_tries' : 'wrong_code';
    if (!(await markPhoneVerified(deps.pool, subscriberId, v.departmentId, v.phoneE164))) return 'phone_changed';
    await markVerified(deps.pool, v.id);
    deps.onVerified?.(subscriberId);
    deps.log.info({ subscriberId, departmentId: v.departmentId }, 'phone verified');
    return 'verified';
  }

  return {
    requestCall, confirm,
    find: (subscriberId: string, id: string): Promise<Verification | null> => findVerification(deps.pool, subscriberId, id),
  };
}

export type VerificationService = ReturnType<typeof createVerificationService>;
