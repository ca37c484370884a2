import type { Logger } from '../../platform/logger.ts';
import { OriginateError, type TelephonyPort } from '../../telephony/telephony-port.ts';

/** One leg of an attempt: the role it enters the Stasis app with, whom it rings, and what that phone shows. */
export interface LegToPlace {
  /** Logged with a refusal: `<what> originate refused`. */
  what: 'visitor' | 'callee' | 'agent' | 'transfer';
  role: 'visitor' | 'callee' | 'agent';
  channelId: string;
  endpoint: string;
  callerId: string;
}

/** The call the leg belongs to: every leg names its attempt and carries the subscriber's account code (CDRs). */
export interface LegCall { attemptId: string; accountCode: string; ringTimeoutSec: number }

/**
 * Places a leg. Resolves null once Asterisk accepted the originate, else the refusal's status (0 when Asterisk
 * gave none), logged. Never throws: a refused leg is an event of the call (its state machine decides), not an error.
 */
export async function originateLeg(port: TelephonyPort, log: Logger, leg: LegToPlace, call: LegCall): Promise<number | null> {
  try {
    await port.originate({
      channelId: leg.channelId, endpoint: leg.endpoint, callerId: leg.callerId,
      timeoutSec: call.ringTimeoutSec, appArgs: [leg.role, call.attemptId],
      variables: { 'CHANNEL(accountcode)': call.accountCode },
    });
    return null;
  } catch (err) {
    log.warn({ err: (err as Error).message }, `${leg.what} originate refused`);
    return err instanceof OriginateError ? err.status : 0;
  }
}
