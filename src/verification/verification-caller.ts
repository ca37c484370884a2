import type { Pool } from '../db/pool.ts';
import type { Logger } from '../logger.ts';
import type { TelephonyEvent, TelephonyPort } from '../telephony/telephony-port.ts';
import { codeMedia, generateCode, hashCode, parseVerificationId, verificationChannelId, verificationPlaybackId } from './verification-code.ts';
import { findVerificationForCall, finishCall, startCall } from './verification.repository.ts';
import { operatorNumberRefusal } from '../calls/dial-check.ts';
import type { OperatorDestinations } from '../policy/destination-policy.ts';

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
}

interface LiveCall { verificationId: string; code: string; spoken: boolean; timer: NodeJS.Timeout }

/**
 * Worker side of phone verification: rings the number, and when it answers speaks the code twice and hangs up.
 * The code exists in clear only here, in memory, for the length of the call.
 */
export class VerificationCaller {
  private readonly calls = new Map<string, LiveCall>();

  constructor(private readonly deps: VerificationCallerDeps) {
    deps.port.onEvent((e) => { void this.route(e).catch((err) => deps.log.warn({ err }, 'verification call event failed')); });
  }

  get activeCalls(): number { return this.calls.size; }

  async call(verificationId: string): Promise<'called' | 'skipped'> {
    const { pool, log } = this.deps;
    const v = await findVerificationForCall(pool, verificationId);
    if (!v || v.callStatus !== 'queued' || v.verifiedAt || v.expiresAt.getTime() < Date.now()) return 'skipped';
    const refused = operatorNumberRefusal(v.phoneE164, this.deps.destinations);
    if (refused) {
      await finishCall(pool, v.id, 'failed', null);
      log.warn({ verificationId: v.id, reason: refused.reason }, 'verification call refused: destination not allowed');
      return 'skipped';
    }
    const code = generateCode();
    if (!(await startCall(pool, v.id, hashCode(this.deps.secret, v.id, code)))) return 'skipped';
    const channelId = verificationChannelId(v.id);
    const timer = setTimeout(() => { void this.deps.port.hangup(channelId).catch(() => {}); }, this.deps.maxCallMs ?? (this.deps.ringTimeoutSec + 60) * 1000);
    timer.unref();
    this.calls.set(channelId, { verificationId: v.id, code, spoken: false, timer });
    try {
      await this.deps.port.originate({
        channelId, endpoint: this.deps.endpointFor(v.phoneE164), callerId: this.deps.callerId,
        timeoutSec: this.deps.ringTimeoutSec, appArgs: ['verify'],
      });
    } catch (err) {
      this.forget(channelId);
      await finishCall(pool, v.id, 'failed', null);
      log.warn({ verificationId: v.id, err: (err as Error).message }, 'verification call refused by Asterisk');
      return 'skipped';
    }
    log.info({ verificationId: v.id }, 'verification call placed');
    return 'called';
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
    if (live) clearTimeout(live.timer);
    this.calls.delete(channelId);
  }

  /** Shutdown: hang up whatever is still ringing or speaking. */
  async stop(): Promise<void> {
    await Promise.all([...this.calls.keys()].map((ch) => this.deps.port.hangup(ch).catch(() => {})));
  }
}
