import { randomUUID } from 'node:crypto';
import { AriError, notFound } from './ari-error.ts';
import { playbackJson } from './ari-snapshots.ts';
import type { Clock } from './clock.ts';
import type { Keypad } from './keypad.ts';
import { MISSING_MEDIA_FAILS_AFTER_MS, mediaInfo, mediaPlayable } from './media.ts';
import type { ExchangeState, Playback } from './model.ts';
import type { PhoneLog } from './phone-log.ts';
import type { Signals } from './signals.ts';
import { TIMING } from './timing.ts';

export type PlaybackTarget = { channelId: string } | { bridgeId: string };

/**
 * Playbacks on a channel or a bridge. Each target plays one playback at a time, in the order they were asked
 * for; a playback plays its media list in order (PlaybackContinuing between them), then PlaybackFinished.
 */
export class Playbacks {
  constructor(
    private readonly state: ExchangeState,
    private readonly clock: Clock,
    private readonly signals: Signals,
    private readonly keypad: Keypad,
    private readonly phoneLog: PhoneLog,
    /** indications.conf present: `tone:` playbacks play (else they fail like a missing sound) */
    private readonly indications: boolean,
  ) {}

  play(target: PlaybackTarget, media: string[], playbackId: string | undefined, lang: string | undefined): Record<string, unknown> {
    if (media.length === 0) throw new AriError(400, { message: 'media must be specified' });
    const id = playbackId || randomUUID();
    if (this.state.playbacks.has(id)) throw new AriError(409, { message: 'Playback with given ID already exists' });
    const on: Playback['target'] =
      'channelId' in target
        ? { kind: 'channel', channel: this.state.stasisChannel(target.channelId) }
        : { kind: 'bridge', bridge: this.state.bridge(target.bridgeId) };
    const pb: Playback = { id, media, index: 0, language: lang || 'en', state: 'queued', target: on, timer: null };
    const queue = this.queueOf(pb);
    queue.push(pb);
    this.state.playbacks.set(id, pb);
    const snapshot = playbackJson(pb);
    // Asterisk may announce PlaybackStarted before it answers the POST; so does the simulator.
    if (queue[0] === pb) this.startMedia(pb);
    return snapshot;
  }

  json(id: string): Record<string, unknown> {
    return playbackJson(this.get(id));
  }

  /** DELETE /playbacks/{id}: say-type media cannot be stopped once playing (500, as on Asterisk). */
  stop(id: string): void {
    const pb = this.get(id);
    if (pb.state !== 'queued' && !mediaInfo(pb.media[pb.index]!).controllable) {
      throw new AriError(500, { message: 'Could not stop playback' });
    }
    this.finish(pb);
  }

  /** Playbacks cut short because their channel or bridge goes away end `failed`, as on Asterisk. */
  finishAll(list: Playback[]): void {
    for (const pb of [...list]) {
      if (pb.state !== 'queued') {
        pb.state = 'failed';
        this.event(pb, 'PlaybackFinished');
      }
      this.drop(pb);
      list.splice(list.indexOf(pb), 1);
    }
  }

  /** Forgets a playback without a word (its channel is gone). */
  drop(pb: Playback): void {
    if (pb.timer) clearTimeout(pb.timer);
    pb.timer = null;
    this.state.playbacks.delete(pb.id);
  }

  /** Stops every media timer without sending anything (the simulator is closing). */
  halt(): void {
    for (const pb of this.state.playbacks.values()) if (pb.timer) clearTimeout(pb.timer);
  }

  private get(id: string): Playback {
    const pb = this.state.playbacks.get(id);
    if (!pb) throw notFound('Playback');
    return pb;
  }

  private queueOf(pb: Playback): Playback[] {
    return pb.target.kind === 'channel' ? pb.target.channel.playbacks : pb.target.bridge.playbacks;
  }

  private event(pb: Playback, type: string): void {
    const fields = { playback: playbackJson(pb) };
    if (pb.target.kind === 'channel') this.signals.toChannel(pb.target.channel, type, fields);
    else this.signals.toBridge(pb.target.bridge, [], type, fields);
  }

  /** A scripted phone presses its key a moment after the first prompt it hears starts. */
  private startMedia(pb: Playback): void {
    pb.state = 'playing';
    this.event(pb, 'PlaybackStarted');
    if (pb.target.kind === 'channel') {
      const ch = pb.target.channel;
      if (ch.pressKey !== null && !ch.keyScheduled && ch.state === 'Up') {
        ch.keyScheduled = true;
        this.keypad.press(ch, ch.pressKey, TIMING.keyAfterPlaybackMs);
      }
    }
    const uri = pb.media[pb.index]!;
    const playable = mediaPlayable(uri, { indications: this.indications });
    const listeners = pb.target.kind === 'channel' ? [pb.target.channel.id] : pb.target.bridge.channels;
    for (const id of listeners) this.phoneLog.heard(id, uri, playable);
    if (!playable) {
      // A file Asterisk does not have (or a tone without indications): Asterisk 22 moves on to the list's next
      // media (PlaybackContinuing, as after one played: res_stasis_playback.c, playback_final_update), and ends
      // the playback `failed` only when it was the last one. A missing sound within a list shows in no event.
      pb.timer = this.clock.timeout(MISSING_MEDIA_FAILS_AFTER_MS, () => (pb.index < pb.media.length - 1 ? this.mediaDone(pb) : this.finish(pb, 'failed')));
      return;
    }
    const length = mediaInfo(uri).lengthMs;
    if (length !== null) pb.timer = this.clock.timeout(length, () => this.mediaDone(pb));
  }

  private mediaDone(pb: Playback): void {
    pb.timer = null;
    if (pb.index < pb.media.length - 1) {
      pb.state = 'continuing';
      this.event(pb, 'PlaybackContinuing');
      pb.index++;
      this.startMedia(pb);
      return;
    }
    this.finish(pb);
  }

  /** The playback ends; the next one queued on its target starts. */
  private finish(pb: Playback, state: 'done' | 'failed' = 'done'): void {
    pb.timer = null;
    const queue = this.queueOf(pb);
    pb.state = state;
    this.event(pb, 'PlaybackFinished');
    this.drop(pb);
    const i = queue.indexOf(pb);
    if (i >= 0) queue.splice(i, 1);
    const next = queue[0];
    if (i === 0 && next && next.state === 'queued') this.startMedia(next);
  }
}
