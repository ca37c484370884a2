import type { RTCPeerConnection as PeerConnection, MediaStreamTrack as Track } from 'werift';
import { toneFrame } from './tone.ts';

/**
 * The media side of a browser's call: the SDP answer to its offer, and audio sent while something is audible on
 * the channel. Asterisk sends no RTP to an answered channel while nothing plays (webrtc-inbound trace), so
 * neither does this.
 */
export interface MediaSession {
  /** The SDP answer to `offer` (the same session answers a re-INVITE's new offer). */
  answer(offer: string): Promise<string>;
  /** An SDP offer, for a call the simulator places to a browser (an agent's softphone). */
  offer(): Promise<string>;
  /** The browser's answer to `offer()`. */
  accept(answer: string): Promise<void>;
  /** The tone flows (on) or stops (off). */
  audible(on: boolean): void;
  /** Each PCMU payload the browser sends goes to `listener` (null: nowhere). */
  onAudio(listener: ((payload: Buffer) => void) | null): void;
  /** Sends this PCMU payload to the browser now (what a bridged browser says), unless the tone is on. */
  relay(payload: Buffer): void;
  /** Keys the browser sends as RFC 4733 telephone-events go to `listener`, once per key. */
  onDtmf?(listener: ((digit: string) => void) | null): void;
  close(): void;
}

export type MediaFactory = () => MediaSession;

type Werift = typeof import('werift');
let loading: Promise<Werift> | null = null;
/** werift is loaded on the first browser call only: simulator runs without web calls never pay for it. */
const werift = (): Promise<Werift> => (loading ??= import('werift'));

const PACKET_MS = 20;
const SAMPLES_PER_PACKET = 160;

/**
 * A real WebRTC endpoint (werift: ICE, DTLS-SRTP, pure TypeScript) answering as Asterisk does: PCMU (PT 0) and
 * telephone-event/8000 (PT 126), rtcp-mux, `a=setup:active`, one host candidate on 127.0.0.1 (what the lab's
 * rtp.conf [ice_host_candidates] made Asterisk offer). While audible it sends a 400 Hz tone in 20 ms packets;
 * otherwise it sends what is relayed to it (a bridged browser's voice), or nothing.
 */
export class WebRtcMedia implements MediaSession {
  private pc: PeerConnection | null = null;
  private track: Track | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private lastOffer = '';
  private lastAnswer: Promise<string> | null = null;
  private seq = Math.floor(Math.random() * 0xffff);
  private timestamp = Math.floor(Math.random() * 0xffffffff);
  private wantAudio = false;
  private listener: ((payload: Buffer) => void) | null = null;
  private dtmfListener: ((digit: string) => void) | null = null;
  /** the RTP timestamp of the last telephone-event reported: its end packets come three times */
  private lastEvent = -1;
  /** the payload type of telephone-event/8000 in the browser's offer */
  private eventPt = 126;
  private werift: Werift | null = null;

  answer(offer: string): Promise<string> {
    if (this.lastAnswer && offer === this.lastOffer) return this.lastAnswer;
    this.lastOffer = offer;
    this.lastAnswer = this.negotiate(offer);
    return this.lastAnswer;
  }

  async offer(): Promise<string> {
    const w = await werift();
    const pc = this.connection(w);
    if (!this.track) {
      this.track = new w.MediaStreamTrack({ kind: 'audio' });
      pc.addTransceiver(this.track, { direction: 'sendrecv' });
    }
    await pc.setLocalDescription(await pc.createOffer());
    await this.gathered(pc);
    return loopbackOnly(pc.localDescription?.sdp ?? '');
  }

  async accept(answer: string): Promise<void> {
    if (!this.pc || this.closed) return;
    await this.pc.setRemoteDescription({ type: 'answer', sdp: answer });
    if (this.wantAudio) this.startSending();
  }

  private connection(w: Werift): PeerConnection {
    if (this.closed) throw new Error('media closed');
    this.werift = w;
    if (!this.pc) {
      this.pc = new w.RTCPeerConnection({
        codecs: {
          audio: [
            new w.RTCRtpCodecParameters({ mimeType: 'audio/PCMU', clockRate: 8000, channels: 1, payloadType: 0 }),
            new w.RTCRtpCodecParameters({ mimeType: 'audio/telephone-event', clockRate: 8000, payloadType: 126 }),
          ],
          video: [],
        },
        iceAdditionalHostAddresses: ['127.0.0.1'],
        iceUseIpv6: false,
        iceUseTcp: false,
      });
      this.pc.onTrack.subscribe((track) => {
        track.onReceiveRtp.subscribe((rtp) => {
          if (rtp.header.payloadType === 0) this.listener?.(rtp.payload);
          else if (rtp.header.payloadType === this.eventPt) this.telephoneEvent(rtp.header.timestamp, rtp.payload);
        });
      });
    }
    return this.pc;
  }

  private async gathered(pc: PeerConnection): Promise<void> {
    if (pc.iceGatheringState !== 'complete') {
      await pc.iceGatheringStateChange.watch((s) => s === 'complete', 5000).catch(() => undefined);
    }
  }

  private async negotiate(offer: string): Promise<string> {
    const w = await werift();
    const pc = this.connection(w);
    this.eventPt = narrowbandEventPt(offer) ?? 126;
    await pc.setRemoteDescription({ type: 'offer', sdp: onlyNarrowbandEvents(offer) });
    const transceiver = pc.getTransceivers().find((t) => t.kind === 'audio');
    if (transceiver && !this.track) {
      this.track = new w.MediaStreamTrack({ kind: 'audio' });
      await transceiver.sender.replaceTrack(this.track);
    }
    await pc.setLocalDescription(await pc.createAnswer());
    await this.gathered(pc);
    if (this.wantAudio) this.startSending();
    return loopbackOnly(pc.localDescription?.sdp ?? '');
  }

  audible(on: boolean): void {
    this.wantAudio = on;
    if (on) this.startSending();
    else this.stopSending();
  }

  onDtmf(listener: ((digit: string) => void) | null): void {
    this.dtmfListener = listener;
  }

  private telephoneEvent(timestamp: number, payload: Buffer): void {
    const digit = telephoneEventDigit(payload);
    if (digit === null || timestamp === this.lastEvent) return;
    this.lastEvent = timestamp;
    this.dtmfListener?.(digit);
  }

  onAudio(listener: ((payload: Buffer) => void) | null): void {
    this.listener = listener;
  }

  relay(payload: Buffer): void {
    if (this.timer || !this.track || !this.werift || this.closed) return;
    this.write(this.werift, payload, false);
  }

  private write(w: Werift, payload: Buffer, marker: boolean): void {
    const header = new w.RtpHeader({ payloadType: 0, sequenceNumber: this.seq, timestamp: this.timestamp >>> 0, marker });
    this.seq = (this.seq + 1) & 0xffff;
    this.timestamp = (this.timestamp + SAMPLES_PER_PACKET) >>> 0;
    try {
      this.track?.writeRtp(new w.RtpPacket(header, payload));
    } catch {
      // the transport is not up yet or already gone: this packet is lost, as on the wire
    }
  }

  private startSending(): void {
    if (this.timer || this.closed || !this.track) return;
    void werift().then((w) => {
      if (this.timer || this.closed || !this.wantAudio) return;
      let marker = true;
      this.timer = setInterval(() => {
        this.write(w, toneFrame(), marker);
        marker = false;
      }, PACKET_MS);
    });
  }

  private stopSending(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  close(): void {
    this.closed = true;
    this.listener = null;
    this.dtmfListener = null;
    this.stopSending();
    const pc = this.pc;
    this.pc = null;
    this.track = null;
    if (pc) void pc.close().catch(() => undefined);
  }
}

/** The answer with only IPv4 loopback host candidates (the only address a lab browser and the simulator share). */
export function loopbackOnly(sdp: string): string {
  return sdp
    .split('\r\n')
    .filter((line) => !line.startsWith('a=candidate:') || / 127\.0\.0\.1 \d+ typ host/.test(line))
    .join('\r\n');
}

const EVENT_DIGITS = '0123456789*#ABCD';

/** The key of an RFC 4733 telephone-event payload once its end bit is set, else null. */
export function telephoneEventDigit(payload: Buffer): string | null {
  if (payload.length < 4 || (payload[1]! & 0x80) === 0) return null;
  return EVENT_DIGITS[payload[0]!] ?? null;
}

/** The payload type the offer gives telephone-event/8000, if any. */
export function narrowbandEventPt(sdp: string): number | null {
  const m = /^a=rtpmap:(\d+) telephone-event\/8000\s*$/im.exec(sdp);
  return m ? Number(m[1]) : null;
}

/**
 * The offer without telephone-events at other clock rates (chromium offers 48000 and 8000): werift answers the
 * first telephone-event it finds whatever its rate, and DTMF next to PCMU needs the 8000 one, as Asterisk answers.
 */
export function onlyNarrowbandEvents(sdp: string): string {
  const wide = new Set<string>();
  for (const m of sdp.matchAll(/^a=rtpmap:(\d+) telephone-event\/(\d+)/gim)) if (m[2] !== '8000') wide.add(m[1]!);
  if (wide.size === 0) return sdp;
  return sdp
    .split('\r\n')
    .filter((line) => !/^a=(rtpmap|fmtp|rtcp-fb):(\d+)/.test(line) || !wide.has(/^a=\w+(?:-\w+)?:(\d+)/.exec(line)![1]!))
    .map((line) => (line.startsWith('m=audio ') ? line.split(' ').filter((f, i) => i < 3 || !wide.has(f)).join(' ') : line))
    .join('\r\n');
}
