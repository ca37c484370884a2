import { NotFoundOnAsterisk } from '../../telephony/telephony-port.ts';

/**
 * Asterisk failed to carry out a step of a call (an error answer, or no answer in time): our failure, not the
 * visitor's. The call ends `failed` with this as its cause ("asterisk error: …"), and the retry policy decides.
 */
export class AsteriskFailure extends Error {
  constructor(readonly effect: string, cause: unknown) {
    super(`asterisk error: ${effect}: ${cause instanceof Error ? cause.message : String(cause)}`.slice(0, 300));
  }
}

/**
 * The channel a step was for is gone: its party hung up (the hangup event is on its way and decides the outcome),
 * e.g. a visitor hanging up while being answered. Asterisk says so with "Channel not found" (ARI 400/404) or
 * "not in Stasis application" (422) when a channel is added to a bridge.
 */
export function isLegGone(err: unknown): boolean {
  const message = err instanceof Error ? err.message : String(err);
  if (/bridge/i.test(message)) return false;
  return err instanceof NotFoundOnAsterisk || /channel not found|not in stasis/i.test(message);
}

/** A step skipped because its channel hung up meanwhile (see isLegGone). */
export class LegGone extends Error {
  constructor(readonly effect: string, cause: unknown) { super(`${effect}: ${cause instanceof Error ? cause.message : String(cause)}`); }
}

/** An error of a step, as the session reads it: the party gone, or Asterisk failing. */
export function effectError(effect: string, err: unknown): LegGone | AsteriskFailure {
  return isLegGone(err) ? new LegGone(effect, err) : new AsteriskFailure(effect, err);
}

/** The cause an aborted call is recorded with: what Asterisk said, or that something of ours broke. */
export function failureReason(err: unknown): string {
  if (err instanceof AsteriskFailure) return err.message;
  return `internal error: ${err instanceof Error ? err.message : String(err)}`.slice(0, 300);
}
