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
