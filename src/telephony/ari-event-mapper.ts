import type { TelephonyEvent } from './telephony-port.ts';

/** Raw ARI event fields we read (see the recorded traces for the full shapes). */
export interface RawAriEvent {
  type: string;
  channel?: { id: string; state?: string };
  args?: string[];
  cause?: number;
  cause_txt?: string;
  digit?: string;
  playback?: { id: string; target_uri?: string; state?: string };
  peer?: { id: string; state?: string };
  dialstatus?: string;
  destination?: string;
}

/**
 * Pure mapping of raw ARI events to domain events. Everything else (ChannelVarset, Dial, bridge events,
 * ~35 per call) is dropped here, so the flows never see it.
 */
export function mapAriEvent(e: RawAriEvent): TelephonyEvent | null {
  switch (e.type) {
    case 'StasisStart':
      return e.channel ? { type: 'call.answered', channelId: e.channel.id, args: e.args ?? [] } : null;
    case 'StasisEnd':
      return e.channel ? { type: 'call.left', channelId: e.channel.id } : null;
    case 'ApplicationMoveFailed':
      return e.channel ? { type: 'call.move_failed', channelId: e.channel.id, destination: e.destination ?? '', args: e.args ?? [] } : null;
    case 'ApplicationReplaced':
      return { type: 'app.replaced' };
    case 'ChannelStateChange':
      return e.channel && e.channel.state === 'Ringing' ? { type: 'call.ringing', channelId: e.channel.id } : null;
    case 'ChannelHangupRequest':
      return e.channel ? { type: 'call.hangup_requested', channelId: e.channel.id, cause: typeof e.cause === 'number' ? e.cause : null } : null;
    case 'ChannelDestroyed':
      return e.channel ? { type: 'call.ended', channelId: e.channel.id, cause: e.cause ?? 0, causeTxt: e.cause_txt ?? 'Unknown' } : null;
    case 'ChannelDtmfReceived':
      return e.channel && e.digit ? { type: 'dtmf.received', channelId: e.channel.id, digit: e.digit } : null;
    case 'PlaybackStarted':
    case 'PlaybackFinished': {
      if (!e.playback) return null;
      const target = e.playback.target_uri?.startsWith('channel:') ? e.playback.target_uri.slice(8) : null;
      return e.type === 'PlaybackStarted'
        ? { type: 'playback.started', playbackId: e.playback.id, channelId: target }
        : { type: 'playback.finished', playbackId: e.playback.id, channelId: target, failed: e.playback.state === 'failed' };
    }
    default:
      return null;
  }
}
