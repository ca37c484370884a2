import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { formatSip, headerOf, parseCSeq, parseSip, type SipHeaders, type SipMessage, type SipRequest, type SipResponse } from '../../src/sim/sip-message.ts';

/**
 * A small SIP-over-WebSocket user agent for tests, speaking to the simulator's `/ws` the way JsSIP does (Via
 * `SIP/2.0/WS <random>.invalid`, From `"Web Visitor" <sip:visitor@localhost>`, Contact with `;transport=ws;ob`).
 */
export class SipWsClient {
  readonly received: SipMessage[] = [];
  private waiters: Array<{ pred: (m: SipMessage) => boolean; resolve: (m: SipMessage) => void }> = [];
  private readonly host = `${randomBytes(6).toString('hex')}.invalid`;
  private cseq = 100;
  /** answer requests the simulator sends (BYE, OPTIONS) with 200 OK */
  autoAnswer = true;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const text = String(data);
      if (text.trim() === '') return;
      const msg = parseSip(text);
      this.received.push(msg);
      if (msg.kind === 'request' && this.autoAnswer && msg.method !== 'ACK' && msg.method !== 'INVITE') this.respond(msg, 200, 'OK');
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(msg)) return true;
        w.resolve(msg);
        return false;
      });
    });
  }

  static async connect(baseUrl: string): Promise<SipWsClient> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws`, 'sip');
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new SipWsClient(ws);
  }

  waitFor(pred: (m: SipMessage) => boolean, timeoutMs = 5000): Promise<SipMessage> {
    const seen = this.received.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out; got ${this.received.map(describe).join(', ')}`)), timeoutMs);
      this.waiters.push({ pred, resolve: (m) => { clearTimeout(timer); resolve(m); } });
    });
  }

  /** The first response with this status to the request with `callId` and method (any when omitted). */
  response(callId: string, status: number, method = 'INVITE'): Promise<SipResponse> {
    return this.waitFor((m) => m.kind === 'response' && m.status === status && headerOf(m.headers, 'Call-ID') === callId
      && parseCSeq(headerOf(m.headers, 'CSeq')).method === method) as Promise<SipResponse>;
  }

  request(method: string, callId?: string): Promise<SipRequest> {
    return this.waitFor((m) => m.kind === 'request' && m.method === method && (!callId || headerOf(m.headers, 'Call-ID') === callId)) as Promise<SipRequest>;
  }

  send(msg: SipMessage): void {
    this.ws.send(formatSip(msg));
  }

  sendRaw(text: string): void {
    this.ws.send(text);
  }

  via(): string {
    return `SIP/2.0/WS ${this.host};branch=z9hG4bK${randomBytes(5).toString('hex')}`;
  }

  /** An INVITE to `sip:<exten>@127.0.0.1` with `sdp`; returns its Call-ID, From tag and the request sent. */
  invite(exten: string, sdp: string, extra: SipHeaders = []): { callId: string; req: SipRequest } {
    const callId = randomBytes(10).toString('hex');
    const req: SipRequest = {
      kind: 'request',
      method: 'INVITE',
      uri: `sip:${exten}@127.0.0.1`,
      headers: [
        ['Via', this.via()],
        ['Max-Forwards', '69'],
        ['To', `<sip:${exten}@127.0.0.1>`],
        ['From', `"Web Visitor" <sip:visitor@localhost>;tag=${randomBytes(5).toString('hex')}`],
        ['Call-ID', callId],
        ['CSeq', `${this.cseq++} INVITE`],
        ...extra,
        ['Contact', `<sip:${randomBytes(4).toString('hex')}@${this.host};transport=ws;ob>`],
        ['Content-Type', 'application/sdp'],
        ['Allow', 'INVITE,ACK,CANCEL,BYE,UPDATE,MESSAGE,OPTIONS,REFER,INFO,NOTIFY,SUBSCRIBE'],
        ['Supported', 'ice,replaces,outbound'],
        ['User-Agent', 'sim-test'],
      ],
      body: sdp,
    };
    this.send(req);
    return { callId, req };
  }

  /** A request inside the dialog of `invite` answered by `answer` (ACK, BYE, INFO, re-INVITE). */
  inDialog(method: string, invite: SipRequest, answer: SipResponse, body = '', extra: SipHeaders = []): SipRequest {
    const seq = method === 'ACK' ? parseCSeq(headerOf(invite.headers, 'CSeq')).seq : this.cseq++;
    const req: SipRequest = {
      kind: 'request',
      method,
      uri: /<([^>]+)>/.exec(headerOf(answer.headers, 'Contact') ?? '')?.[1] ?? invite.uri,
      headers: [
        ['Via', this.via()],
        ['Max-Forwards', '69'],
        ['To', headerOf(answer.headers, 'To') ?? ''],
        ['From', headerOf(invite.headers, 'From') ?? ''],
        ['Call-ID', headerOf(invite.headers, 'Call-ID') ?? ''],
        ['CSeq', `${seq} ${method}`],
        ...extra,
      ],
      body,
    };
    this.send(req);
    return req;
  }

  /** CANCEL of a pending INVITE (same Via branch and CSeq number). */
  cancel(invite: SipRequest): void {
    const seq = parseCSeq(headerOf(invite.headers, 'CSeq')).seq;
    this.send({
      kind: 'request',
      method: 'CANCEL',
      uri: invite.uri,
      headers: [
        ['Via', headerOf(invite.headers, 'Via') ?? ''],
        ['Max-Forwards', '69'],
        ['To', headerOf(invite.headers, 'To') ?? ''],
        ['From', headerOf(invite.headers, 'From') ?? ''],
        ['Call-ID', headerOf(invite.headers, 'Call-ID') ?? ''],
        ['CSeq', `${seq} CANCEL`],
      ],
      body: '',
    });
  }

  respond(req: SipRequest, status: number, reason: string, headers: SipHeaders = [], body = ''): void {
    this.send({
      kind: 'response',
      status,
      reason,
      headers: [
        ...req.headers.filter(([k]) => ['via', 'from', 'to', 'call-id', 'cseq'].includes(k.toLowerCase())),
        ...headers,
      ],
      body,
    });
  }

  close(): void {
    this.ws.close();
  }
}

export function describe(m: SipMessage): string {
  return m.kind === 'request' ? m.method : `${m.status} ${parseCSeq(headerOf(m.headers, 'CSeq')).method}`;
}
