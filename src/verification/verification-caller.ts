import type { Pool } from '../platform/db/pool.ts';
import type { Logger } from '../platform/logger.ts';
import type { TelephonyEvent, TelephonyPort } from '../telephony/telephony-port.ts';
import { codeMedia, generateCode, hashCode, parseVerificationId, verificationChannelId, verificationPlaybackId } from './verification-code.ts';
import { findVerificationForCall, finishCall, startCall } from './verification.repository.ts';
import { operatorNumberRefusal } from '../calls/flow/dial-check.ts';
import type { OperatorDestinations } from '../policy/destination-policy.ts';
import { ceilingReason, type CallCeiling } from '../policy/call-ceiling.ts';
import type { VerificationLimits } from './verification-limits.ts';

export interface VerificationCallerDeps {
  pool: Pool;
  port: TelephonyPort;
  log: Logger;
  secret: string;
  /** phone number -> dial string (the trunk template) */
  endpointFor: (e164: string) => string;
  callerId: string;
  /** The operator's destination policy, checked again right before the call (the policy may have changed). */
  destinations: OperatorDestinations;
  ringTimeoutSec: number;
  /** hard stop for one call, whatever happens (ms) */
  maxCallMs?: number;
  /** Calls per number across the installation (src/policy/call-ceiling.ts), checked right before the originate. */
  ceiling?: CallCeiling;
  /** One verification call in flight per number. */
  lines?: Pick<VerificationLimits, 'claimLine' | 'releaseLine'>;
}

interface LiveCall { verificationId: string; phoneE164: string; code: string; spoken: boolean; timer: NodeJS.Timeout }

/**
 * Worker side of phone verification: rings the number, and when it answers speaks the code twice and hangs up.
 * The code exists in clear only here, in memory, for the length of the call.
 */
export class VerificationCaller {
  private readonly calls = new Map<string, LiveCall>();
  /** Ceiling tickets of calls being placed (given back when Asterisk refuses the originate). */
  private readonly tickets = new Map<string, string>();

  constructor(private readonly deps: VerificationCallerDeps) {
    deps.port.onEvent((e) => { void this.route(e).catch((err) => deps.log.warn({ err }, 'verification call event failed')); });
  }

  get activeCalls(): number { return this.calls.size; }

  async call(verificationId: string): Promise<'called' | 'skipped'> {
    const { pool, log } = this.deps;
    const v = await findVerificationForCall(pool, verificationId);
    if (!v || v.callStatus !== 'queued' || v.verifiedAt || v.expiresAt.getTime() < Date.now()) return 'skipped';
    // Suspended after the call was asked for: nothing is dialed for a suspended account (startCall asks again).
    if (!v.subscriberActive) {
      await finishCall(pool, v.id, 'failed', null);
      log.warn({ verificationId: v.id }, 'verification call refused: account suspended');
      return 'skipped';
    }
    const refused = operatorNumberRefusal(v.phoneE164, this.deps.destinations);
    if (refused) {
      await finishCall(pool, v.id, 'failed', null);
      log.warn({ verificationId: v.id, reason: refused.reason }, 'verification call refused: destination not allowed');
      return 'skipped';
    }
    const code = generateCode();
    // False too for an account suspended since the read above: the call stays unplaced and its code expires.
    if (!(await startCall(pool, v.id, hashCode(this.deps.secret, v.id, code)))) return 'skipped';
    const channelId = verificationChannelId(v.id);
    const maxCallMs = this.deps.maxCallMs ?? (this.deps.ringTimeoutSec + 60) * 1000;
    const refusal = await this.mayRing(v.phoneE164, channelId, maxCallMs);
    if (refusal) {
      await finishCall(pool, v.id, 'failed', null);
      log.warn({ verificationId: v.id, reason: refusal }, 'verification call not placed');
      return 'skipped';
    }
    const timer = setTimeout(() => { void this.deps.port.hangup(channelId).catch(() => {}); }, maxCallMs);
    timer.unref();
    this.calls.set(channelId, { verificationId: v.id, phoneE164: v.phoneE164, code, spoken: false, timer });
    try {
      await this.deps.port.originate({
        channelId, endpoint: this.deps.endpointFor(v.phoneE164), callerId: this.deps.callerId,
        timeoutSec: this.deps.ringTimeoutSec, appArgs: ['verify'],
      });
    } catch (err) {
      this.forget(channelId);
      // Nothing rang: the call does not count against the number's ceiling.
      await this.deps.ceiling?.giveBack(v.phoneE164, this.tickets.get(channelId) ?? '');
      this.tickets.delete(channelId);
      await finishCall(pool, v.id, 'failed', null);
      log.warn({ verificationId: v.id, err: (err as Error).message }, 'verification call refused by Asterisk');
      return 'skipped';
    }
    this.tickets.delete(channelId);
    log.info({ verificationId: v.id }, 'verification call placed');
    return 'called';
  }

  /**
   * Right before the originate: the number's line (one verification call at a time) and its call ceiling. A
   * reason not to ring, or null with both taken. Without Redis nothing is rung (the job came from Redis anyway).
   */
  private async mayRing(phoneE164: string, channelId: string, maxCallMs: number): Promise<string | null> {
    try {
      if (this.deps.lines && !(await this.deps.lines.claimLine(phoneE164, channelId, maxCallMs))) return 'another verification call to this number is in progress';
      const verdict = await this.deps.ceiling?.take(phoneE164);
      if (verdict && !verdict.placed) {
        await this.deps.lines?.releaseLine(phoneE164, channelId);
        return ceilingReason(verdict.window);
      }
      if (verdict?.placed) this.tickets.set(channelId, verdict.ticket);
      return null;
    } catch (err) {
      await this.deps.lines?.releaseLine(phoneE164, channelId).catch(() => {});
      return `limits unavailable: ${(err as Error).message}`;
    }
  }

  private async route(e: TelephonyEvent): Promise<void> {
    const id = 'playbackId' in e ? e.playbackId : 'channelId' in e ? e.channelId : null;
    const parsed = id ? parseVerificationId(id) : null;
    if (!parsed) return;
    const channelId = verificationChannelId(parsed.verificationId);
    const live = this.calls.get(channelId);
    if (!live) {
      // Not ours any more (worker restarted mid-call): never leave a channel up.
      if (e.type === 'call.answered') await this.deps.port.hangup(channelId).catch(() => {});
      return;
    }
    switch (e.type) {
      case 'call.answered':
        await this.deps.port.answer(channelId);
        await this.deps.port.play(channelId, verificationPlaybackId(live.verificationId), codeMedia(live.code));
        return;
      case 'playback.finished':
        live.spoken = !e.failed;
        await this.deps.port.hangup(channelId);
        return;
      case 'call.ended':
        this.forget(channelId);
        await finishCall(this.deps.pool, live.verificationId, live.spoken ? 'spoken' : 'failed', e.cause);
        return;
      default:
        return;
    }
  }

  private forget(channelId: string): void {
    const live = this.calls.get(channelId);
    if (live) {
      clearTimeout(live.timer);
      void this.deps.lines?.releaseLine(live.phoneE164, channelId).catch(() => {});
    }
    this.calls.delete(channelId);
  }

  /** Shutdown: hang up whatever is still ringing or speaking. */
  async stop(): Promise<void> {
    await Promise.all([...this.calls.keys()].map((ch) => this.deps.port.hangup(ch).catch(() => {})));
  }
}
