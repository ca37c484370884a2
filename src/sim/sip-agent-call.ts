import { randomBytes, randomUUID } from 'node:crypto';
import { watchAudible } from './audible.ts';
import type { Exchange } from './exchange.ts';
import type { Channel, DeviceLeg } from './model.ts';
import { headerOf, parseCSeq, parseNameAddr, responseTo, tagOf, type SipHeaders, type SipRequest, type SipResponse } from './sip-message.ts';
import type { SipConnection } from './sip-server.ts';
import type { MediaSession } from './webrtc-media.ts';

const ALLOW = 'OPTIONS, REGISTER, SUBSCRIBE, NOTIFY, PUBLISH, INVITE, ACK, BYE, CANCEL, UPDATE, PRACK, MESSAGE, INFO, REFER';
const AGENT = 'Asterisk PBX 22.10.1 (beckon simulator)';

/**
 * The exchange's call to a registered browser softphone (webrtc-agent trace): an INVITE with an SDP offer to the
 * registered contact; the browser's 200 answers the channel, its 480/486/603 refuse it, its BYE hangs up. When
 * the exchange ends the call first the browser gets a BYE (answered) or a CANCEL (ringing), with `Reason: Q.850`.
 */
export class AgentCall implements DeviceLeg {
  readonly callId = randomUUID();
  private readonly fromTag = randomUUID();
  private readonly branch = `z9hG4bKPJ${randomBytes(12).toString('hex')}`;
  private toTag = '';
  private remoteTarget: string;
  private invite: SipRequest | null = null;
  private phase: 'inviting' | 'up' | 'ended' = 'inviting';
  private media: MediaSession | null;
  private stopWatch: (() => void) | null = null;
  private cseq = 1;

  constructor(
    readonly conn: SipConnection,
    contactUri: string,
    private readonly ch: Channel,
    private readonly exchange: Exchange,
    newMedia: () => MediaSession,
    private readonly done: (call: AgentCall) => void,
  ) {
    this.remoteTarget = contactUri;
    this.media = newMedia();
    ch.deviceLeg = this;
  }

  start(): void {
    this.media!.offer().then(
      (sdp) => {
        if (this.phase !== 'inviting') return;
        this.invite = {
          kind: 'request',
          method: 'INVITE',
          uri: this.remoteTarget,
          headers: [
            ['Via', `SIP/2.0/WS ${this.conn.contactUri.replace(/^sip:|;.*$/g, '')};rport;branch=${this.branch}`],
            ['From', `"${this.ch.caller.name}" <sip:${this.ch.caller.number || 'anonymous'}@127.0.0.1>;tag=${this.fromTag}`],
            ['To', `<${this.remoteTarget}>`],
            ['Contact', `<${this.conn.contactUri}>`],
            ['Call-ID', this.callId],
            ['CSeq', `${this.cseq} INVITE`],
            ['Allow', ALLOW],
            ['Supported', '100rel, timer, replaces, norefersub'],
            ['Max-Forwards', '70'],
            ['User-Agent', AGENT],
            ['Content-Type', 'application/sdp'],
          ],
          body: sdp,
        };
        this.conn.send(this.invite);
      },
      () => {
        // No media to offer: the channel cannot be placed (PJSIP would fail the dial).
        if (this.phase !== 'inviting') return;
        this.phase = 'ended';
        this.refused(500);
      },
    );
  }

  /** A response to the INVITE (or to our BYE/CANCEL, which need nothing). */
  response(res: SipResponse): void {
    const { method } = parseCSeq(headerOf(res.headers, 'CSeq'));
    if (method !== 'INVITE' || !this.invite) return;
    const tag = tagOf(headerOf(res.headers, 'To'));
    if (tag) this.toTag = tag;
    if (res.status < 200) return;
    if (res.status >= 300) {
      this.ackFailure(res);
      if (this.phase === 'inviting') {
        this.phase = 'ended';
        this.refused(res.status);
      }
      return;
    }
    const contact = parseNameAddr(headerOf(res.headers, 'Contact')).uri;
    if (contact) this.remoteTarget = contact;
    this.sendInDialog('ACK', [], parseCSeq(headerOf(this.invite.headers, 'CSeq')).seq);
    if (this.phase !== 'inviting') {
      // Answered after the exchange gave up on it: the call is ended at once.
      this.sendInDialog('BYE', [['Reason', 'Q.850;cause=16']]);
      return;
    }
    this.phase = 'up';
    void this.media?.accept(res.body).catch(() => undefined);
    if (this.media) {
      this.stopWatch = watchAudible(this.exchange.state, this.exchange.browserMedia, this.ch.id, this.media);
      this.media.onDtmf?.((digit) => this.pressKey(digit));
    }
    try {
      this.exchange.channels.deviceAnswered(this.ch);
    } catch {
      // the channel went away meanwhile
    }
  }

  /** A request from the browser inside this call: BYE, INFO, a re-INVITE, ACK. */
  request(req: SipRequest): void {
    switch (req.method) {
      case 'BYE':
        this.conn.send(responseTo(req, 200, 'OK'));
        if (this.phase === 'ended') return;
        this.phase = 'ended';
        this.stop();
        try {
          this.exchange.channels.farEndHangup(this.ch.id);
        } catch {
          // the exchange ended it first
        }
        return;
      case 'INFO': {
        this.conn.send(responseTo(req, 200, 'OK'));
        const digit = /^Signal\s*=\s*([0-9A-D*#])/im.exec(req.body)?.[1];
        if (digit) this.pressKey(digit);
        return;
      }
      case 'INVITE':
        if (!this.media || this.phase !== 'up') {
          this.conn.send(responseTo(req, 491, 'Request Pending'));
          return;
        }
        this.media.answer(req.body).then(
          (sdp) => this.conn.send(responseTo(req, 200, 'OK', { headers: [['Contact', `<${this.conn.contactUri}>`], ['Content-Type', 'application/sdp']], body: sdp })),
          () => this.conn.send(responseTo(req, 488, 'Not Acceptable Here')),
        );
        return;
      case 'ACK':
        return;
      default:
        this.conn.send(responseTo(req, 405, 'Method Not Allowed'));
    }
  }

  /** The exchange ended the call (DeviceLeg). */
  ended(cause: number): void {
    if (this.phase === 'ended') return;
    const was = this.phase;
    this.phase = 'ended';
    this.stop();
    if (was === 'up') this.sendInDialog('BYE', [['Reason', `Q.850;cause=${cause}`]]);
    else if (this.invite) this.cancel(cause);
  }

  /** The browser's socket closed: like a BYE (answered) or a refusal it never sent. */
  socketClosed(): void {
    if (this.phase === 'ended') return;
    const was = this.phase;
    this.phase = 'ended';
    this.stop();
    try {
      if (was === 'up') this.exchange.channels.farEndHangup(this.ch.id);
      else this.exchange.channels.deviceRefused(this.ch, 480);
    } catch {
      // gone already
    }
  }

  /** A key from the browser (SIP INFO or RFC 4733) reaches the channel like a phone's. */
  private pressKey(digit: string): void {
    if (this.phase !== 'up') return;
    try {
      this.exchange.channels.pressKey(this.ch.id, digit);
    } catch {
      // not answered or gone
    }
  }

  private refused(status: number): void {
    this.stop();
    try {
      this.exchange.channels.deviceRefused(this.ch, status);
    } catch {
      // gone already
    }
  }

  private cancel(cause: number): void {
    const inv = this.invite!;
    this.conn.send({
      kind: 'request',
      method: 'CANCEL',
      uri: inv.uri,
      headers: [
        ['Via', headerOf(inv.headers, 'Via')!],
        ['From', headerOf(inv.headers, 'From')!],
        ['To', headerOf(inv.headers, 'To')!],
        ['Call-ID', this.callId],
        ['CSeq', `${parseCSeq(headerOf(inv.headers, 'CSeq')).seq} CANCEL`],
        ['Reason', `Q.850;cause=${cause}`],
        ['Max-Forwards', '70'],
      ],
      body: '',
    });
  }

  /** ACK of a final error response: same branch as the INVITE, To with the tag. */
  private ackFailure(res: SipResponse): void {
    const inv = this.invite!;
    this.conn.send({
      kind: 'request',
      method: 'ACK',
      uri: inv.uri,
      headers: [
        ['Via', headerOf(inv.headers, 'Via')!],
        ['From', headerOf(inv.headers, 'From')!],
        ['To', headerOf(res.headers, 'To') ?? headerOf(inv.headers, 'To')!],
        ['Call-ID', this.callId],
        ['CSeq', `${parseCSeq(headerOf(inv.headers, 'CSeq')).seq} ACK`],
        ['Max-Forwards', '70'],
      ],
      body: '',
    });
  }

  private sendInDialog(method: string, extra: SipHeaders, seq = ++this.cseq): void {
    const inv = this.invite!;
    const to = headerOf(inv.headers, 'To')!;
    this.conn.send({
      kind: 'request',
      method,
      uri: this.remoteTarget,
      headers: [
        ['Via', this.conn.via()],
        ['From', headerOf(inv.headers, 'From')!],
        ['To', this.toTag && !tagOf(to) ? `${to};tag=${this.toTag}` : to],
        ['Call-ID', this.callId],
        ['CSeq', `${seq} ${method}`],
        ['Max-Forwards', '70'],
        ...extra,
      ],
      body: '',
    });
  }

  private stop(): void {
    this.stopWatch?.();
    this.stopWatch = null;
    this.media?.close();
    this.media = null;
    this.done(this);
  }
}
