import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Exchange } from './exchange.ts';
import type { SoftphoneDialer } from './channels.ts';
import type { Channel } from './model.ts';
import { AgentCall } from './sip-agent-call.ts';
import { headerOf, parseCSeq, parseDigest, parseNameAddr, responseTo, uriUser, type SipRequest, type SipResponse } from './sip-message.ts';
import type { SipConnection } from './sip-server.ts';
import type { MediaSession } from './webrtc-media.ts';

export interface SoftphoneOptions {
  exchange: Exchange;
  /** endpoint name → password (pjsip.conf's auth sections of the WebRTC agent endpoints) */
  accounts: Record<string, string>;
  media: () => MediaSession;
  timeScale: number;
}

interface Registration {
  name: string;
  conn: SipConnection;
  /** the browser's Contact URI: where INVITEs and OPTIONS go */
  contact: string;
  qualifyTimer: NodeJS.Timeout | null;
  /** the OPTIONS waiting for an answer, and the timer that marks the contact Unreachable */
  pendingOptions: { callId: string; timer: NodeJS.Timeout } | null;
}

const REALM = 'asterisk';
const EXPIRES = 300;
/** aor qualify_frequency = 10, qualify_timeout = 3 (asterisk/conf/pjsip.conf) */
const QUALIFY_EVERY_MS = 10_000;
const QUALIFY_TIMEOUT_MS = 3_000;

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/**
 * The WebRTC agent endpoints (webagentN): browsers REGISTER over the SIP WebSocket with digest auth (401, then 200
 * with Expires 300), are qualified with OPTIONS right away and every 10 s (unanswered for 3 s: Unreachable), and
 * receive an INVITE when ARI originates to PJSIP/<name>. Until registered, and once unregistered or their socket
 * closes, an originate to them fails with 500 "Allocation failed" (webrtc-agent trace). Device state and
 * reachability go through `Endpoints` like a desk phone's.
 */
export class Softphones implements SoftphoneDialer {
  private readonly regs = new Map<string, Registration>();
  private readonly calls = new Map<string, AgentCall>();
  private readonly nonces = new Set<string>();

  constructor(private readonly opts: SoftphoneOptions) {
    this.reset();
  }

  /** Every account offline again (a boot). */
  reset(): void {
    for (const reg of this.regs.values()) this.stopQualify(reg);
    this.regs.clear();
    for (const name of Object.keys(this.opts.accounts)) {
      this.opts.exchange.endpoints.devices.set(name, { behavior: { kind: 'noanswer' }, reachable: false });
    }
  }

  /**
   * Adds an account or changes its password (the agent console's softphone gets per-session credentials); null
   * removes it. A registered browser keeps its registration until it registers again or goes away.
   */
  setAccount(name: string, password: string | null): void {
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error('a web agent name is letters, digits, _ . -');
    if (password === null) {
      const reg = this.regs.get(name);
      if (reg) this.unregister(reg);
      delete this.opts.accounts[name];
      return;
    }
    const known = Object.hasOwn(this.opts.accounts, name);
    this.opts.accounts[name] = password;
    if (!known) this.opts.exchange.endpoints.devices.set(name, { behavior: { kind: 'noanswer' }, reachable: false });
  }

  handles(device: string): boolean {
    return Object.hasOwn(this.opts.accounts, device);
  }

  dial(ch: Channel): void {
    const reg = this.regs.get(ch.endpointResource);
    if (!reg) return; // not reachable: Endpoints refused the originate already
    const call = new AgentCall(reg.conn, reg.contact, ch, this.opts.exchange, this.opts.media, (c) => {
      setTimeout(() => this.calls.delete(c.callId), 5000).unref();
    });
    this.calls.set(call.callId, call);
    call.start();
  }

  /** Requests the SIP server does not handle itself: REGISTER and the agent calls' in-dialog requests. */
  onRequest(conn: SipConnection, req: SipRequest): boolean {
    if (req.method === 'REGISTER') {
      this.register(conn, req);
      return true;
    }
    const call = this.calls.get(headerOf(req.headers, 'Call-ID') ?? '');
    if (!call) return false;
    call.request(req);
    return true;
  }

  onResponse(_conn: SipConnection, res: SipResponse): void {
    const callId = headerOf(res.headers, 'Call-ID') ?? '';
    const call = this.calls.get(callId);
    if (call) return call.response(res);
    if (parseCSeq(headerOf(res.headers, 'CSeq')).method !== 'OPTIONS') return;
    for (const reg of this.regs.values()) {
      if (reg.pendingOptions?.callId !== callId) continue;
      clearTimeout(reg.pendingOptions.timer);
      reg.pendingOptions = null;
      this.opts.exchange.endpoints.set(reg.name, { reachable: true });
    }
  }

  /** Closing the page removes its contacts at once (and ends its calls). */
  onClose(conn: SipConnection): void {
    for (const call of this.calls.values()) if (call.conn === conn) call.socketClosed();
    for (const reg of [...this.regs.values()]) if (reg.conn === conn) this.unregister(reg);
  }

  private register(conn: SipConnection, req: SipRequest): void {
    const name = uriUser(parseNameAddr(headerOf(req.headers, 'To')).uri);
    const auth = parseDigest(headerOf(req.headers, 'Authorization'));
    if (!auth.response || !this.nonces.has(auth.nonce ?? '')) return this.challenge(conn, req);
    const password = this.opts.accounts[name];
    if (password === undefined || auth.username !== name || !validDigest(auth, 'REGISTER', password)) {
      conn.send(responseTo(req, 403, 'Forbidden'));
      return;
    }
    const contactHeader = headerOf(req.headers, 'Contact') ?? '';
    const contact = parseNameAddr(contactHeader).uri;
    const expiresParam = /;\s*expires=(\d+)/i.exec(contactHeader)?.[1];
    const expires = Number(expiresParam ?? headerOf(req.headers, 'Expires') ?? EXPIRES);
    const existing = this.regs.get(name);
    if (expires === 0 || contactHeader.trim() === '*') {
      conn.send(responseTo(req, 200, 'OK', { headers: [['Expires', '0']] }));
      if (existing) this.unregister(existing);
      return;
    }
    const granted = Math.min(expires, EXPIRES);
    conn.send(responseTo(req, 200, 'OK', { headers: [['Contact', `<${contact}>;expires=${granted}`], ['Expires', String(granted)], ['Date', new Date().toUTCString()]] }));
    if (existing) {
      // max_contacts = 1, remove_existing = yes: the new contact replaces the old one.
      this.stopQualify(existing);
    }
    const reg: Registration = { name, conn, contact, qualifyTimer: null, pendingOptions: null };
    this.regs.set(name, reg);
    this.opts.exchange.endpoints.set(name, { reachable: true });
    this.qualify(reg);
    reg.qualifyTimer = setInterval(() => this.qualify(reg), this.scaled(QUALIFY_EVERY_MS));
    reg.qualifyTimer.unref();
  }

  private challenge(conn: SipConnection, req: SipRequest): void {
    const nonce = randomBytes(16).toString('hex');
    this.nonces.add(nonce);
    if (this.nonces.size > 1000) this.nonces.delete(this.nonces.values().next().value!);
    conn.send(responseTo(req, 401, 'Unauthorized', {
      headers: [['WWW-Authenticate', `Digest realm="${REALM}",nonce="${nonce}",opaque="${randomBytes(8).toString('hex')}",algorithm=MD5,qop="auth"`]],
    }));
  }

  private qualify(reg: Registration): void {
    if (reg.pendingOptions) return;
    const callId = randomUUID();
    reg.conn.send({
      kind: 'request',
      method: 'OPTIONS',
      uri: reg.contact,
      headers: [
        ['Via', reg.conn.via()],
        ['From', `<sip:${reg.name}@127.0.0.1>;tag=${randomUUID()}`],
        ['To', `<${reg.contact}>`],
        ['Contact', `<${reg.conn.contactUri}>`],
        ['Call-ID', callId],
        ['CSeq', `${Math.floor(Math.random() * 60000) + 1} OPTIONS`],
        ['Max-Forwards', '70'],
      ],
      body: '',
    });
    const timer = setTimeout(() => {
      reg.pendingOptions = null;
      // A frozen tab: the contact stops answering and the device becomes UNAVAILABLE.
      if (this.regs.get(reg.name) === reg) this.opts.exchange.endpoints.set(reg.name, { reachable: false });
    }, Math.max(1000, this.scaled(QUALIFY_TIMEOUT_MS)));
    timer.unref();
    reg.pendingOptions = { callId, timer };
  }

  private unregister(reg: Registration): void {
    this.stopQualify(reg);
    if (this.regs.get(reg.name) !== reg) return;
    this.regs.delete(reg.name);
    this.opts.exchange.endpoints.set(reg.name, { reachable: false });
  }

  private stopQualify(reg: Registration): void {
    if (reg.qualifyTimer) clearInterval(reg.qualifyTimer);
    reg.qualifyTimer = null;
    if (reg.pendingOptions) clearTimeout(reg.pendingOptions.timer);
    reg.pendingOptions = null;
  }

  private scaled(ms: number): number {
    return ms * this.opts.timeScale;
  }

  close(): void {
    for (const reg of this.regs.values()) this.stopQualify(reg);
  }
}

/** RFC 2617 digest (MD5, with or without qop=auth) of a request by `auth`'s parameters. */
export function validDigest(auth: Record<string, string>, method: string, password: string): boolean {
  const ha1 = md5(`${auth.username}:${auth.realm}:${password}`);
  const ha2 = md5(`${method}:${auth.uri}`);
  const expected = auth.qop
    ? md5(`${ha1}:${auth.nonce}:${auth.nc}:${auth.cnonce}:${auth.qop}:${ha2}`)
    : md5(`${ha1}:${auth.nonce}:${ha2}`);
  return expected === auth.response;
}
