/**
 * The telephony port: everything the call flows need from Asterisk, in domain terms. Only the ARI adapter
 * (ari-adapter.ts) knows about ari-client; the flows read only these events and call only these methods.
 */

/** Domain events, mapped from raw ARI events by ari-event-mapper.ts. */
export type TelephonyEvent =
  | { type: 'call.ringing'; channelId: string }
  /** The far end answered and the channel entered our Stasis app (StasisStart). */
  | { type: 'call.answered'; channelId: string; args: string[] }
  /** Hangup requested (by either side); cause absent when the far end hung up (see traces). */
  | { type: 'call.hangup_requested'; channelId: string; cause: number | null }
  /** The channel is gone (ChannelDestroyed) with its Q.850 cause. */
  | { type: 'call.ended'; channelId: string; cause: number; causeTxt: string }
  | { type: 'dtmf.received'; channelId: string; digit: string }
  | { type: 'playback.started'; playbackId: string; channelId: string | null }
  | { type: 'playback.finished'; playbackId: string; channelId: string | null; failed: boolean }
  /**
   * The channel left our Stasis app (StasisEnd). For a channel that entered through the dialplan's Stasis() (a
   * browser's web call) this is the end as far as we can see: it goes back to the dialplan and no ChannelDestroyed
   * follows. A channel moved to another app leaves this way too.
   */
  | { type: 'call.left'; channelId: string }
  /** A move to another app failed (that app has no socket): the channel stays in ours (ApplicationMoveFailed). */
  | { type: 'call.move_failed'; channelId: string; destination: string; args: string[] }
  /** Another socket took our app over (ApplicationReplaced): nothing more arrives on this one. */
  | { type: 'app.replaced' }
  /** The event connection dropped: events until `connection.restored` are lost for good. */
  | { type: 'connection.lost' }
  | { type: 'connection.restored' };

export interface OriginateRequest {
  channelId: string;
  endpoint: string;
  callerId: string;
  timeoutSec: number;
  appArgs: string[];
  variables?: Record<string, string>;
}

export interface LiveChannel { id: string; state: string }

export interface TelephonyPort {
  readonly app: string;
  connect(): Promise<void>;
  onEvent(listener: (e: TelephonyEvent) => void): void;
  /** Resolves once Asterisk has accepted the call (channel Down); rejects with OriginateError when refused. */
  originate(req: OriginateRequest): Promise<void>;
  answer(channelId: string): Promise<void>;
  /** Tells an inbound caller its call is ringing (SIP 180) before it is answered. */
  ring(channelId: string): Promise<void>;
  /**
   * Hands a channel in our app to the Stasis app `app` with `appArgs`. `app` is always named: a move without one
   * crashed Asterisk 22 (recorded). Asterisk answers 204 even when `app` has no socket, then reports
   * `call.move_failed` and the channel stays with us.
   */
  move(channelId: string, app: string, appArgs: string[]): Promise<void>;
  hangup(channelId: string, reason?: 'normal' | 'busy' | 'congestion' | 'no_answer'): Promise<void>;
  createBridge(bridgeId: string): Promise<void>;
  addToBridge(bridgeId: string, channelId: string): Promise<void>;
  destroyBridge(bridgeId: string): Promise<void>;
  play(channelId: string, playbackId: string, media: string[]): Promise<void>;
  stopPlayback(playbackId: string): Promise<void>;
  /** The playback still exists on Asterisk (queued or playing); false once it has ended. */
  playbackActive(playbackId: string): Promise<boolean>;
  startMoh(channelId: string, mohClass: string): Promise<void>;
  stopMoh(channelId: string): Promise<void>;
  /** Mutes a channel's audio: `in` = what that phone says is not heard by the others (an agent's mute). */
  mute(channelId: string, direction: 'in' | 'out' | 'both'): Promise<void>;
  unmute(channelId: string, direction: 'in' | 'out' | 'both'): Promise<void>;
  listChannels(): Promise<LiveChannel[]>;
  /** Whether Asterisk still has the channel: false once it is gone (404); true when Asterisk cannot say (an error). */
  channelExists(channelId: string): Promise<boolean>;
  /** Whether Asterisk has this sound (GET /sounds/{id}): false when it answers 404, null when it cannot say. */
  soundExists(soundId: string): Promise<boolean | null>;
  close(): Promise<void>;
}

/** Asterisk refused to place the call (HTTP 4xx/5xx on originate): nothing rings. */
export class OriginateError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

/** The resource is already gone (404): hanging up a channel that has just hung up is not an error. */
export class NotFoundOnAsterisk extends Error {}
