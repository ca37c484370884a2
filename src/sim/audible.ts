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

/** What the watcher needs of a browser call's media. */
interface WatchedMedia {
  audible(on: boolean): void;
  onAudio(listener: ((payload: Buffer) => void) | null): void;
  relay(payload: Buffer): void;
}

/**
 * Keeps a browser call's media in step with its channel until the returned stop is called: the tone while the
 * channel is audible, else the voice of a browser bridged with it (its packets relayed), else silence. `sessions`
 * holds the media of every browser call by channel id; only calls with media are watched, checked every 40 ms.
 */
export function watchAudible(state: ExchangeState, sessions: Map<string, WatchedMedia>, channelId: string, media: WatchedMedia): () => void {
  let sounding = false;
  let peer: WatchedMedia | null = null;
  sessions.set(channelId, media);
  const setPeer = (next: WatchedMedia | null) => {
    if (next === peer) return;
    peer?.onAudio(null);
    peer = next;
    peer?.onAudio((payload) => media.relay(payload));
  };
  const timer = setInterval(() => {
    const ch = state.channels.get(channelId);
    const now = !!ch && audible(state, ch);
    if (now !== sounding) {
      sounding = now;
      media.audible(now);
    }
    const otherId = ch?.bridge?.channels.find((id) => id !== channelId && sessions.has(id));
    setPeer(otherId ? sessions.get(otherId)! : null);
  }, AUDIBLE_POLL_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    setPeer(null);
    if (sessions.get(channelId) === media) sessions.delete(channelId);
  };
}
