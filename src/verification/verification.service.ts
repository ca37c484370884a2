import type Bull from 'bull';
import type { Logger } from '../logger.ts';
import type { Pool } from '../db/pool.ts';
import { AppError, NotFoundError } from '../errors/app-error.ts';
import { findSubscriberById, isUuid, listDepartments, markPhoneVerified } from '../subscribers/subscriber.repository.ts';
import { codeMatches } from './verification-code.ts';
import { operatorNumberRefusal } from '../calls/dial-check.ts';
import type { OperatorDestinations } from '../policy/destination-policy.ts';
import type { VerificationJob } from './verification-queue.ts';
import { countCallsSince, countTry, findVerification, insertVerification, latestVerification, markVerified, type Verification } from './verification.repository.ts';

/**
 * Limits that keep verification calls from being turned against strangers' phones (sign up with someone
 * else's number, press "call me" all night) or the code from being guessed.
 */
export const VERIFY_LIMITS = {
  codeTtlSec: 15 * 60,
  maxTries: 5,
  perSubscriberPerHour: 5,
  perPhonePerHour: 3,
  perPhonePerDay: 6,
  /** a new call only once the previous one had time to ring out */
  minGapSec: 45,
};

export interface VerificationDeps {
  pool: Pool;
  queue: Pick<Bull.Queue<VerificationJob>, 'add'>;
  secret: string;
  log: Logger;
  /** The operator's destination policy: a verification call rings only where the installation may dial. */
  destinations: OperatorDestinations;
  /** the accept path caches subscribers; a fresh verification must show at once in this process */
  onVerified?: (subscriberId: string) => void;
}

export type ConfirmResult = 'verified' | 'wrong_code' | 'expired' | 'too_many_tries' | 'phone_changed';

export function createVerificationService(deps: VerificationDeps) {
  /** The phone a target (own phone or a department's) must verify, if any. */
  async function target(subscriberId: string, departmentId: string | null): Promise<{ phone: string; verified: boolean }> {
    if (departmentId) {
      if (!isUuid(departmentId)) throw new NotFoundError('department_not_found', 'No such department.');
      const dep = (await listDepartments(deps.pool, subscriberId)).find((d) => d.id === departmentId);
      if (!dep) throw new NotFoundError('department_not_found', 'No such department.');
      if (dep.answeredBy !== 'phone' || !dep.phoneE164) throw new AppError(400, 'no_phone', 'This department is answered by agents; there is no phone to verify.');
      return { phone: dep.phoneE164, verified: !!dep.phoneVerifiedAt };
    }
    const s = await findSubscriberById(deps.pool, subscriberId);
    if (!s?.phoneE164) throw new AppError(400, 'no_phone', 'Add a phone number first.');
    return { phone: s.phoneE164, verified: !!s.phoneVerifiedAt };
  }

  async function requestCall(subscriberId: string, departmentId: string | null): Promise<string> {
    const t = await target(subscriberId, departmentId);
    if (t.verified) throw new AppError(409, 'already_verified', 'This number is already verified.');
    const refused = operatorNumberRefusal(t.phone, deps.destinations);
    if (refused) throw new AppError(403, refused.code, `We cannot call this number: ${refused.reason}. Please use a mobile or landline number in a country this service calls.`);
    const now = Date.now();
    const hourAgo = new Date(now - 3600_000);
    const last = await latestVerification(deps.pool, subscriberId, departmentId);
    if (last && now - last.createdAt.getTime() < VERIFY_LIMITS.minGapSec * 1000) {
      throw new AppError(429, 'verification_too_soon', 'We have just called. Please wait a minute before asking for another call.');
    }
    const [mine, phoneHour, phoneDay] = await Promise.all([
      countCallsSince(deps.pool, { subscriberId }, hourAgo),
      countCallsSince(deps.pool, { phoneE164: t.phone }, hourAgo),
      countCallsSince(deps.pool, { phoneE164: t.phone }, new Date(now - 86_400_000)),
    ]);
    if (mine >= VERIFY_LIMITS.perSubscriberPerHour || phoneHour >= VERIFY_LIMITS.perPhonePerHour || phoneDay >= VERIFY_LIMITS.perPhonePerDay) {
      throw new AppError(429, 'verification_limit', 'Too many verification calls. Please try again later.');
    }
    const id = await insertVerification(deps.pool, { subscriberId, departmentId, phoneE164: t.phone, ttlSec: VERIFY_LIMITS.codeTtlSec });
    try {
      await deps.queue.add({ verificationId: id }, { jobId: id });
    } catch (err) {
      deps.log.warn({ err: (err as Error).message }, 'could not queue verification call');
      throw new AppError(503, 'service_unavailable', 'We could not place the call right now. Please try again in a minute.');
    }
    deps.log.info({ subscriberId, departmentId, verificationId: id }, 'verification call requested');
    return id;
  }

  async function confirm(subscriberId: string, verificationId: string, typed: string): Promise<ConfirmResult> {
    const v = await findVerification(deps.pool, subscriberId, verificationId);
    if (!v) throw new NotFoundError('verification_not_found', 'No such verification.');
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
