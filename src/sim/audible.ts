import type { Channel, ExchangeState } from './model.ts';

const playing = (pbs: Channel['playbacks']) => pbs.some((pb) => pb.state === 'playing');

/**
 * Whether the phone on `ch` hears something now: a playback or music on hold on its channel or its bridge, or a
 * channel bridged with it that plays or has music on hold. A silent bridged leg is silence (the scripted phones
 * never speak): Asterisk sends no RTP then (webrtc-inbound trace). Pure over the state.
 */
export function audible(state: ExchangeState, ch: Channel): boolean {
  if (ch.moh || playing(ch.playbacks)) return true;
  const b = ch.bridge;
  if (!b) return false;
  if (b.moh || playing(b.playbacks)) return true;
  return b.channels.some((id) => {
    if (id === ch.id) return false;
    const other = state.channels.get(id);
    return !!other && (other.moh || playing(other.playbacks));
  });
}

const AUDIBLE_POLL_MS = 40;

/**
 * Turns `media` on while the channel is audible and off while it is not, checking every 40 ms until the returned
 * stop is called (only browser calls with media are watched, so scripted calls pay nothing).
 */
export function watchAudible(state: ExchangeState, channelId: string, media: { audible(on: boolean): void }): () => void {
  let sounding = false;
  const timer = setInterval(() => {
    const ch = state.channels.get(channelId);
    const now = !!ch && audible(state, ch);
    if (now !== sounding) {
      sounding = now;
      media.audible(now);
    }
  }, AUDIBLE_POLL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
