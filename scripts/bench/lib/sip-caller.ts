import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { formatSip, headerOf, parseCSeq, parseSip, type SipMessage, type SipRequest } from '../../../src/sim/sip-message.ts';
import { nowMs } from './load.ts';

/** The offer a browser's JsSIP sends, cut to what the simulator reads (PCMU and telephone-event). */
const OFFER = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0 126\r\nc=IN IP4 127.0.0.1\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:126 telephone-event/8000\r\na=sendrecv\r\n';

/** What one call's browser saw: when it sent the INVITE and each response to it, by status. */
export interface WebCallTrace {
  inviteAt: number;
  /** status → first time it arrived (ms, wall clock) */
  responses: Map<number, number>;
  /** the final status (≥ 200), or null while none has come */
  final: number | null;
}

/**
 * A browser's side of a web call over SIP/WebSocket (RFC 7118, subprotocol `sip`), as JsSIP speaks it to
 * Asterisk's `/ws`: one WebSocket per caller, an INVITE to `sip:callback@…` carrying the ticket in
 * X-Beckon-Ticket, an ACK for a final refusal, 200 to whatever the far end asks (BYE, OPTIONS). The messages are
 * written and read with the simulator's own SIP helpers; the media is not negotiated beyond the SDP offer.
 */
export class SipCaller {
  private readonly host = `${randomBytes(6).toString('hex')}.invalid`;
  private invite: SipRequest | null = null;
  private finalSeen: (() => void) | null = null;
  readonly trace: WebCallTrace = { inviteAt: NaN, responses: new Map(), final: null };

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const text = String(data);
      if (text.trim() === '') return;
      let msg: SipMessage;
      try { msg = parseSip(text); } catch { return; }
      this.onMessage(msg);
    });
  }

  /** Opens the browser's WebSocket (before the ticket: what is timed is the servers' part, not a page loading). */
  static async connect(baseUrl: string): Promise<SipCaller> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws`, 'sip');
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new SipCaller(ws);
  }

  /** Sends the INVITE now; resolves once a final response came (or `timeoutMs` passed: final stays null). */
  call(ticket: string | null, timeoutMs = 30_000): Promise<WebCallTrace> {
    const callId = randomBytes(10).toString('hex');
    this.invite = {
      kind: 'request', method: 'INVITE', uri: 'sip:callback@127.0.0.1',
      headers: [
        ['Via', `SIP/2.0/WS ${this.host};branch=z9hG4bK${randomBytes(5).toString('hex')}`],
        ['Max-Forwards', '69'],
        ['To', '<sip:callback@127.0.0.1>'],
        ['From', `"Web Visitor" <sip:visitor@localhost>;tag=${randomBytes(5).toString('hex')}`],
        ['Call-ID', callId],
        ['CSeq', '8001 INVITE'],
        ...(ticket !== null ? [['X-Beckon-Ticket', ticket] as [string, string]] : []),
        ['Contact', `<sip:${randomBytes(4).toString('hex')}@${this.host};transport=ws;ob>`],
        ['Content-Type', 'application/sdp'],
        ['Allow', 'INVITE,ACK,CANCEL,BYE,UPDATE,MESSAGE,OPTIONS,REFER,INFO,NOTIFY,SUBSCRIBE'],
        ['Supported', 'ice,replaces,outbound'],
        ['User-Agent', 'beckon-bench'],
      ],
      body: OFFER,
    };
    const done = new Promise<WebCallTrace>((resolve) => {
      const timer = setTimeout(() => resolve(this.trace), timeoutMs);
      this.finalSeen = () => { clearTimeout(timer); resolve(this.trace); };
    });
    this.trace.inviteAt = nowMs();
    this.ws.send(formatSip(this.invite));
    return done;
  }

  close(): void {
    this.ws.close();
  }

  private onMessage(msg: SipMessage): void {
    const at = nowMs();
    if (msg.kind === 'request') {
      // BYE or OPTIONS from the far end: acknowledged, as a browser does.
      if (msg.method !== 'ACK') this.send({ kind: 'response', status: 200, reason: 'OK', headers: msg.headers.filter(([k]) => ['via', 'from', 'to', 'call-id', 'cseq'].includes(k.toLowerCase())), body: '' });
      return;
    }
    if (parseCSeq(headerOf(msg.headers, 'CSeq')).method !== 'INVITE' || !this.invite) return;
    if (!this.trace.responses.has(msg.status)) this.trace.responses.set(msg.status, at);
    if (msg.status < 200 || this.trace.final !== null) return;
    this.trace.final = msg.status;
    this.ack(msg);
    this.finalSeen?.();
  }

  /** ACK of the final response: for a refusal the same branch as the INVITE; for a 200 a new one, in the dialog. */
  private ack(res: SipMessage & { kind: 'response' }): void {
    const inv = this.invite!;
    const via = res.status >= 300 ? headerOf(inv.headers, 'Via')! : `SIP/2.0/WS ${this.host};branch=z9hG4bK${randomBytes(5).toString('hex')}`;
    const uri = res.status >= 300 ? inv.uri : /<([^>]+)>/.exec(headerOf(res.headers, 'Contact') ?? '')?.[1] ?? inv.uri;
    this.send({
      kind: 'request', method: 'ACK', uri,
      headers: [
        ['Via', via], ['Max-Forwards', '69'], ['To', headerOf(res.headers, 'To') ?? ''], ['From', headerOf(inv.headers, 'From') ?? ''],
        ['Call-ID', headerOf(inv.headers, 'Call-ID') ?? ''], ['CSeq', '8001 ACK'],
      ],
      body: '',
    });
  }

  private send(msg: SipMessage): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(formatSip(msg));
  }
}
