import { randomUUID } from 'node:crypto';
import { watchAudible } from './audible.ts';
import type { Exchange } from './exchange.ts';
import type { CallerLeg } from './model.ts';
import { headerOf, parseNameAddr, responseTo, uriUser, type SipHeaders, type SipMessage, type SipRequest } from './sip-message.ts';
import { sipReason, sipStatusForCause } from './sip-status.ts';
import type { MediaSession } from './webrtc-media.ts';

/** What a browser call needs of the WebSocket it came on. */
export interface SipLink {
  send(msg: SipMessage): void;
  /** `sip:127.0.0.1:8088;transport=ws`: the simulator's Contact */
  contactUri: string;
  /** a Via for requests the simulator sends, with a fresh branch */
  via(): string;
}

const ALLOW = 'OPTIONS, REGISTER, SUBSCRIBE, NOTIFY, PUBLISH, INVITE, ACK, BYE, CANCEL, UPDATE, PRACK, MESSAGE, INFO, REFER';
const SERVER = 'Asterisk PBX 22.10.1 (beckon simulator)';

/**
 * One browser's call to the anonymous endpoint over SIP/WebSocket, as chan_pjsip answers JsSIP (webrtc-inbound,
 * webrtc-ari-hangup traces): 100 Trying at once, then only what the app does — 180 on ring, 183 with SDP when it
 * plays before answering, 200 with SDP on answer, the final response for the cause (with `Reason: Q.850`) or a BYE
 * when it hangs up. The browser's BYE and CANCEL hang the channel up.
 */
export class BrowserCall implements CallerLeg {
  readonly callId: string;
  private readonly toTag = randomUUID();
  private channelId: string | null = null;
  /** early: no final response yet; up: 200 sent; ended: final response or BYE either way */
  private phase: 'early' | 'up' | 'ended' = 'early';
  private media: MediaSession | null = null;
  private stopWatch: (() => void) | null = null;
  private byeSeq = 1;

  constructor(
    private readonly link: SipLink,
    private readonly invite: SipRequest,
    private readonly exchange: Exchange,
    private readonly newMedia: () => MediaSession,
  ) {
    this.callId = headerOf(invite.headers, 'Call-ID') ?? '';
  }

  get ended(): boolean {
    return this.phase === 'ended';
  }

  start(): void {
    this.link.send(responseTo(this.invite, 100, 'Trying', { headers: [['Server', SERVER]] }));
    const from = parseNameAddr(headerOf(this.invite.headers, 'From'));
    const headers = new Map<string, string>();
    for (const [k, v] of this.invite.headers) if (!headers.has(k.toLowerCase())) headers.set(k.toLowerCase(), v);
    const arrival = this.exchange.inbound.arrive({
      exten: uriUser(this.invite.uri),
      callerName: from.name,
      callerNumber: uriUser(from.uri),
      callId: this.callId,
      headers,
      caller: this,
    });
    if ('refused' in arrival) {
      if (this.phase !== 'ended') this.final(arrival.refused);
      return;
    }
    this.channelId = arrival.channelId;
  }

  // ---------------------------------------------------------------- what the app does (CallerLeg)

  ringing(): void {
    if (this.phase !== 'early') return;
    this.record('180 Ringing');
    this.link.send(responseTo(this.invite, 180, 'Ringing', { toTag: this.toTag, headers: this.dialogHeaders() }));
  }

  earlyMedia(): void {
    if (this.phase !== 'early') return;
    void this.withAnswer((sdp) => {
      if (this.phase !== 'early') return;
      this.record('183 Session Progress');
      this.link.send(responseTo(this.invite, 183, 'Session Progress', { toTag: this.toTag, headers: this.sdpHeaders(), body: sdp }));
      this.watchAudio();
    });
  }

  answered(): void {
    if (this.phase !== 'early') return;
    this.phase = 'up';
    void this.withAnswer((sdp) => {
      if (this.phase !== 'up') return;
      this.record('200 OK');
      this.link.send(responseTo(this.invite, 200, 'OK', { toTag: this.toTag, headers: this.sdpHeaders(), body: sdp }));
      this.watchAudio();
    });
  }

  hungUp(cause: number, answered: boolean): void {
    if (this.phase === 'ended') return;
    if (answered || this.phase === 'up') this.sendBye(cause);
    else this.final(sipStatusForCause(cause), cause);
  }

  // ---------------------------------------------------------------- what the browser does

  /** ACK of the 200 (or of a final error): nothing to do. */
  ack(): void {}

  bye(req: SipRequest): void {
    this.link.send(responseTo(req, 200, 'OK', { headers: [['Server', SERVER]] }));
    if (this.phase === 'ended') return;
    this.phase = 'ended';
    this.hangUpChannel();
    this.stopMedia();
  }

  cancel(req: SipRequest): void {
    this.link.send(responseTo(req, 200, 'OK', { toTag: this.toTag, headers: [['Server', SERVER]] }));
    if (this.phase !== 'early') return;
    this.phase = 'ended';
    this.hangUpChannel();
    this.link.send(responseTo(this.invite, 487, 'Request Terminated', { toTag: this.toTag, headers: [['Reason', 'Q.850;cause=0'], ['Server', SERVER]] }));
    this.stopMedia();
  }

  /** A re-INVITE (hold, unhold, ICE restart): answered from the same media session. */
  reinvite(req: SipRequest): void {
    if (this.phase !== 'up' || !this.media) {
      this.link.send(responseTo(req, 491, 'Request Pending', { headers: [['Server', SERVER]] }));
      return;
    }
    // Hold is the caller offering to send only (or nothing); a sendrecv offer takes it back.
    const direction = /^a=(sendonly|inactive|sendrecv|recvonly)\s*$/m.exec(req.body)?.[1] ?? 'sendrecv';
    const ch = this.channelId ? this.exchange.state.channels.get(this.channelId) : undefined;
    if (ch) this.exchange.inbound.hold(ch, direction === 'sendonly' || direction === 'inactive');
    this.media.answer(req.body).then(
      (sdp) => this.link.send(responseTo(req, 200, 'OK', { toTag: this.toTag, headers: this.sdpHeaders(), body: sdp })),
      () => this.link.send(responseTo(req, 488, 'Not Acceptable Here', { headers: [['Server', SERVER]] })),
    );
  }

  /** SIP INFO with a DTMF body (`Signal=5`): the key reaches the channel like a phone's. */
  info(req: SipRequest): void {
    this.link.send(responseTo(req, 200, 'OK', { headers: [['Server', SERVER]] }));
    const digit = /^Signal\s*=\s*([0-9A-D*#])/im.exec(req.body)?.[1];
    if (digit && this.channelId) this.pressKey(this.channelId, digit);
  }

  /** A key from the browser (SIP INFO or RFC 4733) reaches the channel like a phone's. */
  private pressKey(channelId: string, digit: string): void {
    if (this.phase !== 'up') return;
    try {
      this.exchange.channels.pressKey(channelId, digit);
    } catch {
      // the channel is gone or not answered: the key is lost
    }
  }

  /** The browser's WebSocket closed: its call ends as if it had hung up. */
  socketClosed(): void {
    if (this.phase === 'ended') return;
    this.phase = 'ended';
    this.hangUpChannel();
    this.stopMedia();
  }

  // ---------------------------------------------------------------- helpers

  private hangUpChannel(): void {
    if (!this.channelId) return;
    try {
      this.exchange.channels.farEndHangup(this.channelId);
    } catch {
      // the app hung it up first
    }
  }

  private final(status: number, cause?: number): void {
    this.phase = 'ended';
    this.record(`${status} ${sipReason(status)}`);
    const headers: SipHeaders = cause !== undefined ? [['Reason', `Q.850;cause=${cause}`]] : [];
    headers.push(['Server', SERVER]);
    this.link.send(responseTo(this.invite, status, sipReason(status), { toTag: this.toTag, headers }));
    this.stopMedia();
  }

  private sendBye(cause: number): void {
    this.phase = 'ended';
    this.record(`BYE Q.850;cause=${cause}`);
    const contact = parseNameAddr(headerOf(this.invite.headers, 'Contact')).uri || this.invite.uri;
    const from = headerOf(this.invite.headers, 'From') ?? '';
    const to = headerOf(this.invite.headers, 'To') ?? '';
    this.link.send({
      kind: 'request',
      method: 'BYE',
      uri: contact,
      headers: [
        ['Via', this.link.via()],
        ['From', `${to};tag=${this.toTag}`],
        ['To', from],
        ['Call-ID', this.callId],
        ['CSeq', `${this.byeSeq++} BYE`],
        ['Reason', `Q.850;cause=${cause}`],
        ['Max-Forwards', '70'],
        ['User-Agent', SERVER],
      ],
      body: '',
    });
    this.stopMedia();
  }

  private dialogHeaders(): SipHeaders {
    return [['Server', SERVER], ['Contact', `<${this.link.contactUri}>`], ['Allow', ALLOW]];
  }

  private sdpHeaders(): SipHeaders {
    return [...this.dialogHeaders(), ['Supported', '100rel, timer, replaces, norefersub'], ['Content-Type', 'application/sdp']];
  }

  private withAnswer(then: (sdp: string) => void): Promise<void> {
    this.media ??= this.newMedia();
    return this.media.answer(this.invite.body).then(then, () => {
      // No usable offer: PJSIP refuses the media and the call with 488.
      if (this.phase === 'ended') return;
      this.final(488);
      this.hangUpChannel();
    });
  }

  /** Media flows only while something is audible on the channel. */
  private watchAudio(): void {
    if (this.stopWatch || !this.media || !this.channelId) return;
    this.stopWatch = watchAudible(this.exchange.state, this.exchange.browserMedia, this.channelId, this.media);
    const id = this.channelId;
    this.media.onDtmf?.((digit) => this.pressKey(id, digit));
  }

  private stopMedia(): void {
    this.stopWatch?.();
    this.stopWatch = null;
    this.media?.close();
    this.media = null;
  }

  private record(what: string): void {
    if (this.channelId) this.exchange.phoneLog.signalled(this.channelId, what);
  }
}
