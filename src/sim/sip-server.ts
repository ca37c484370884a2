import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import type { Exchange } from './exchange.ts';
import { formatSip, headerOf, parseSip, responseTo, tagOf, type SipMessage, type SipRequest, type SipResponse } from './sip-message.ts';
import { BrowserCall, type SipLink } from './sip-web-call.ts';
import type { MediaFactory } from './webrtc-media.ts';

export interface SipServerOptions {
  exchange: Exchange;
  logger: Logger;
  /** the address browsers reach the simulator at, for Contact and Via: `127.0.0.1:8088` */
  hostPort: () => string;
  media: MediaFactory;
  /** what the simulator says besides requests (the agent softphones' side, when present) */
  onRequest?: (conn: SipConnection, req: SipRequest) => boolean;
  onResponse?: (conn: SipConnection, res: SipResponse) => void;
  onClose?: (conn: SipConnection) => void;
}

const KEEPALIVE = '\r\n\r\n';

/**
 * SIP over WebSocket (RFC 7118) on the simulator's HTTP server at `/ws`, subprotocol `sip`, as Asterisk's
 * res_pjsip_transport_websocket serves it on the ARI port. Browsers (JsSIP) call the anonymous endpoint here.
 */
export class SipServer {
  private readonly wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => (protocols.has('sip') ? 'sip' : false),
  });
  private readonly connections = new Set<SipConnection>();

  constructor(private readonly opts: SipServerOptions) {}

  accept(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const conn = new SipConnection(ws, this.opts);
      this.connections.add(conn);
      ws.on('close', () => {
        this.connections.delete(conn);
        conn.closed();
      });
      ws.on('error', () => ws.terminate());
    });
  }

  /** Every browser's socket is cut (the simulator restarts or closes). */
  dropAll(): void {
    for (const conn of [...this.connections]) conn.terminate();
  }

  close(): void {
    this.dropAll();
    this.wss.close();
  }
}

/** One browser's WebSocket: its requests, the simulator's responses, the calls it carries. */
export class SipConnection implements SipLink {
  private readonly calls = new Map<string, BrowserCall>();
  readonly id = randomBytes(6).toString('hex');

  constructor(
    readonly ws: WebSocket,
    private readonly opts: SipServerOptions,
  ) {
    ws.on('message', (data, isBinary) => this.receive(isBinary ? Buffer.from(data as Buffer).toString('utf8') : String(data)));
  }

  get contactUri(): string {
    return `sip:${this.opts.hostPort()};transport=ws`;
  }

  via(): string {
    return `SIP/2.0/WS ${this.opts.hostPort()};rport;branch=z9hG4bKPJ${randomBytes(12).toString('hex')}`;
  }

  send(msg: SipMessage): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(formatSip(msg));
  }

  terminate(): void {
    this.ws.terminate();
  }

  closed(): void {
    for (const call of this.calls.values()) call.socketClosed();
    this.calls.clear();
    this.opts.onClose?.(this);
  }

  private receive(text: string): void {
    // CRLF keep-alive (RFC 5626 over WebSocket): a double CRLF is answered with a single one.
    if (text.trim() === '') {
      if (text === KEEPALIVE && this.ws.readyState === WebSocket.OPEN) this.ws.send('\r\n');
      return;
    }
    let msg: SipMessage;
    try {
      msg = parseSip(text);
    } catch (err) {
      this.opts.logger.debug({ err }, 'sim sip: unparsable message dropped');
      return;
    }
    if (msg.kind === 'response') {
      this.opts.onResponse?.(this, msg);
      return;
    }
    try {
      this.request(msg);
    } catch (err) {
      this.opts.logger.error({ err, method: msg.method }, 'sim sip: request failed');
      if (msg.method !== 'ACK') this.send(responseTo(msg, 500, 'Server Internal Error'));
    }
  }

  private request(req: SipRequest): void {
    this.sweep();
    const callId = headerOf(req.headers, 'Call-ID') ?? '';
    const call = this.calls.get(callId);
    switch (req.method) {
      case 'INVITE': {
        if (tagOf(headerOf(req.headers, 'To'))) {
          if (call) call.reinvite(req);
          else if (!this.opts.onRequest?.(this, req)) this.send(responseTo(req, 481, 'Call/Transaction Does Not Exist'));
          return;
        }
        if (call) return; // a retransmission: 100 Trying went out already
        const created = new BrowserCall(this, req, this.opts.exchange, this.opts.media);
        this.calls.set(callId, created);
        created.start();
        return;
      }
      case 'ACK':
        if (call) call.ack();
        else this.opts.onRequest?.(this, req);
        return;
      case 'BYE':
        if (call) {
          call.bye(req);
          this.calls.delete(callId);
        } else if (!this.opts.onRequest?.(this, req)) {
          this.send(responseTo(req, 481, 'Call/Transaction Does Not Exist'));
        }
        return;
      case 'CANCEL':
        if (call) {
          call.cancel(req);
          this.calls.delete(callId);
        } else if (!this.opts.onRequest?.(this, req)) {
          this.send(responseTo(req, 481, 'Call/Transaction Does Not Exist'));
        }
        return;
      case 'INFO':
        if (call) call.info(req);
        else if (!this.opts.onRequest?.(this, req)) this.send(responseTo(req, 481, 'Call/Transaction Does Not Exist'));
        return;
      case 'OPTIONS':
        this.send(responseTo(req, 200, 'OK', { headers: [['Accept', 'application/sdp'], ['Allow', 'OPTIONS, REGISTER, INVITE, ACK, BYE, CANCEL, INFO']] }));
        return;
      default:
        if (!this.opts.onRequest?.(this, req)) this.send(responseTo(req, 405, 'Method Not Allowed'));
    }
  }

  /** Calls that ended are forgotten (a final response or BYE went either way). */
  sweep(): void {
    for (const [id, call] of this.calls) if (call.ended) this.calls.delete(id);
  }
}
