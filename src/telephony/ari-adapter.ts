import http from 'node:http';
import https from 'node:https';
import ari from 'ari-client';
import type { Logger } from '../platform/logger.ts';
import { mapAriEvent, type RawAriEvent } from './ari-event-mapper.ts';
import { playbacksFailed } from '../observability/metrics.ts';
import { parseCallId } from '../calls/session/call-ids.ts';
import { NotFoundOnAsterisk, OriginateError, type LiveChannel, type OriginateRequest, type TelephonyEvent, type TelephonyPort } from './telephony-port.ts';
import { withoutControlChars } from '../platform/validation/text.ts';

export interface AriOptions {
  url: string; user: string; password: string; app: string; log: Logger;
  /**
   * How long an originate waits for the event socket when it is down (default 15 s). Asterisk attaches a new
   * channel to the app only while the app has a socket, and hangs up one answered without it: nothing is dialed blind.
   */
  socketWaitMs?: number;
}

/** ari-client reports REST errors as an Error whose message is the response body; recover what it meant. */
function classify(err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err);
  if (/not found/i.test(message)) return new NotFoundOnAsterisk(message);
  if (/Allocation failed/i.test(message)) return new OriginateError(500, message);
  if (/already exists|in use/i.test(message)) return new OriginateError(409, message);
  if (/ECONNREFUSED|ECONNRESET|socket hang up|ETIMEDOUT/i.test(message)) return new OriginateError(503, message);
  return err instanceof Error ? err : new Error(message);
}

const ignoreGone = (err: unknown) => { const e = classify(err); if (!(e instanceof NotFoundOnAsterisk)) throw e; };
const rethrow = (err: unknown): never => { throw err instanceof Error ? err : new Error(String(err)); };
const enc = encodeURIComponent;

/**
 * ARI REST over keep-alive HTTP. ari-client's own REST path (swagger-client 2.0 + shred) cost ~4x the CPU of a
 * plain request in the bench, most of it in Node's DEP0005 check for its `new Buffer()` calls (a stack trace
 * per request for the first 10,000); the WebSocket side of ari-client is kept. Errors read as ari-client's
 * did: the message is the response body, so `classify` is unchanged.
 */
class AriRest {
  private readonly base: URL;
  private readonly auth: string;
  private readonly lib: typeof http | typeof https;
  private readonly agent: http.Agent;

  constructor(url: string, user: string, password: string) {
    this.base = new URL(`${url.replace(/\/+$/, '')}/ari`);
    this.auth = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    this.lib = this.base.protocol === 'https:' ? https : http;
    // Idle sockets are dropped after 4 s, before the server drops them (the simulator after 5 s, Asterisk's
    // http.conf session_keep_alive after 15 s), so a reused socket is rarely a dead one.
    this.agent = new this.lib.Agent({ keepAlive: true, timeout: 4000 });
  }

  call(method: string, path: string, query?: Record<string, string>, body?: unknown): Promise<unknown> {
    const qs = query ? `?${new URLSearchParams(query)}` : '';
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return this.send(method, `${this.base.pathname}${path}${qs}`, payload, true);
  }

  private send(method: string, path: string, payload: string | undefined, mayRetry: boolean): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const req = this.lib.request({
        agent: this.agent, protocol: this.base.protocol, hostname: this.base.hostname, port: this.base.port,
        method, path,
        headers: { authorization: this.auth, ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) },
        // Asterisk answers REST at once; a request hanging this long means the node is gone (classified as 503).
        timeout: 15_000,
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if ((res.statusCode ?? 0) >= 300) return reject(new Error(text || `HTTP ${res.statusCode}`));
          try { resolve(text ? JSON.parse(text) : undefined); } catch { resolve(text); }
        });
      });
      req.on('timeout', () => req.destroy(new Error('ETIMEDOUT: ARI request timed out')));
      req.on('error', (err: NodeJS.ErrnoException) => {
        // A kept-alive socket the server closed while idle fails the next request before the server read it
        // (seen in the bench after calls sat bridged for seconds): that request is safe to send again, once.
        if (mayRetry && req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE' || /socket hang up/.test(err.message))) {
          this.send(method, path, payload, false).then(resolve, reject);
          return;
        }
        reject(err);
      });
      req.end(payload);
    });
  }

  close(): void { this.agent.destroy(); }
}

/**
 * The only module that imports ari-client. Holds one WebSocket for this worker's Stasis app; ari-client
 * reconnects with back-off, and when it gives up we start it again so an Asterisk outage of any length is
 * survived. Reconnects are reported as connection.lost / connection.restored so the dialer reconciles.
 */
export class AriAdapter implements TelephonyPort {
  private client: any;
  private listeners: ((e: TelephonyEvent) => void)[] = [];
  private connected = false;
  private closing = false;
  readonly app: string;
  private readonly rest: AriRest;

  constructor(private readonly opts: AriOptions) {
    this.app = opts.app;
    this.rest = new AriRest(opts.url, opts.user, opts.password);
  }

  onEvent(listener: (e: TelephonyEvent) => void): void { this.listeners.push(listener); }

  private emit(e: TelephonyEvent): void { for (const l of this.listeners) l(e); }

  async connect(): Promise<void> {
    this.client = await ari.connect(this.opts.url, this.opts.user, this.opts.password);
    // '*' gives every event once, with the raw payload; instance objects built by ari-client are not used.
    this.client.on('*', (event: RawAriEvent) => {
      const mapped = mapAriEvent(event);
      if (mapped?.type === 'playback.finished' && mapped.failed) this.playbackFailed(event);
      if (mapped) this.emit(mapped);
    });
    this.client.on('WebSocketReconnecting', () => {
      if (this.connected) { this.connected = false; this.opts.log.warn('ARI WebSocket lost; reconnecting'); this.emit({ type: 'connection.lost' }); }
    });
    this.client.on('WebSocketConnected', () => {
      if (!this.connected) {
        const wasStarted = this.started;
        this.connected = true;
        this.started = true;
        for (const w of this.socketWaiters.splice(0)) w();
        if (wasStarted) { this.opts.log.info('ARI WebSocket reconnected'); this.emit({ type: 'connection.restored' }); }
      }
    });
    this.client.on('WebSocketMaxRetries', () => {
      this.connected = false;
      if (this.closing) return;
      this.opts.log.error('ARI WebSocket: reconnect attempts exhausted; starting over in 5 s');
      setTimeout(() => { if (!this.closing) this.client.start(this.app).catch(() => {}); }, 5000).unref();
    });
    await this.client.start(this.app);
  }

  private started = false;
  private socketWaiters: (() => void)[] = [];

  /** The event socket is open: Asterisk would hand an answered channel to this app now. */
  get isConnected(): boolean { return this.connected; }

  /** Resolves true once the event socket is open (at once if it is), false after `ms`. */
  waitForSocket(ms: number): Promise<boolean> {
    if (this.connected) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => { clearTimeout(timer); resolve(true); };
      const timer = setTimeout(() => {
        this.socketWaiters = this.socketWaiters.filter((w) => w !== done);
        resolve(this.connected);
      }, ms);
      timer.unref();
      this.socketWaiters.push(done);
    });
  }

  /** A failed playback is a prompt nobody heard: logged with its media and counted (beckon_playbacks_failed_total). */
  private playbackFailed(event: RawAriEvent): void {
    const pb = event.playback as (RawAriEvent['playback'] & { media_uri?: string }) | undefined;
    const parsed = pb ? parseCallId(pb.id) : null;
    const prompt = parsed?.leg === 'playback' ? parsed.prompt ?? 'other' : 'other';
    playbacksFailed.inc({ prompt });
    this.opts.log.warn({ playbackId: pb?.id, media: pb?.media_uri, target: pb?.target_uri, prompt, attemptId: parsed?.attemptId }, 'playback failed');
  }

  async originate(req: OriginateRequest): Promise<void> {
    // Never dial blind: without the event socket the call would ring unheard and, answered, be hung up by Asterisk.
    if (!this.connected && !(await this.waitForSocket(this.opts.socketWaitMs ?? 15_000))) {
      throw new OriginateError(503, 'ARI event socket is down: not dialing');
    }
    try {
      await this.rest.call('POST', '/channels', {
        endpoint: req.endpoint,
        app: this.app,
        appArgs: req.appArgs.join(','),
        // The last line of defence for what becomes SIP headers: no control character (CR/LF) gets through.
        callerId: withoutControlChars(req.callerId),
        timeout: String(req.timeoutSec),
        channelId: req.channelId,
      }, req.variables ? { variables: Object.fromEntries(Object.entries(req.variables).map(([k, v]) => [k, withoutControlChars(v)])) } : undefined);
    } catch (err) {
      const e = classify(err);
      throw e instanceof OriginateError ? e : new OriginateError(0, e.message);
    }
  }

  async answer(channelId: string): Promise<void> { await this.rest.call('POST', `/channels/${enc(channelId)}/answer`).catch(ignoreGone); }
  async hangup(channelId: string, reason = 'normal'): Promise<void> { await this.rest.call('DELETE', `/channels/${enc(channelId)}`, { reason }).catch(ignoreGone); }
  async createBridge(bridgeId: string): Promise<void> { await this.rest.call('POST', '/bridges', { type: 'mixing', bridgeId, name: bridgeId }).catch(rethrow); }
  async addToBridge(bridgeId: string, channelId: string): Promise<void> { await this.rest.call('POST', `/bridges/${enc(bridgeId)}/addChannel`, { channel: channelId }).catch(rethrow); }
  async destroyBridge(bridgeId: string): Promise<void> { await this.rest.call('DELETE', `/bridges/${enc(bridgeId)}`).catch(ignoreGone); }
  async play(channelId: string, playbackId: string, media: string[]): Promise<void> {
    // One playback with a comma list plays every item (a repeated media= would play only the last).
    await this.rest.call('POST', `/channels/${enc(channelId)}/play`, { media: media.join(','), playbackId }).catch(ignoreGone);
  }
  async stopPlayback(playbackId: string): Promise<void> { await this.rest.call('DELETE', `/playbacks/${enc(playbackId)}`).catch(() => {}); }
  async playbackActive(playbackId: string): Promise<boolean> {
    return this.rest.call('GET', `/playbacks/${enc(playbackId)}`).then(() => true, (err) => { ignoreGone(err); return false; });
  }
  async startMoh(channelId: string, mohClass: string): Promise<void> { await this.rest.call('POST', `/channels/${enc(channelId)}/moh`, { mohClass }).catch(ignoreGone); }
  // Stopping music that already stopped answers 409; the goal (no music) is met either way.
  async stopMoh(channelId: string): Promise<void> { await this.rest.call('DELETE', `/channels/${enc(channelId)}/moh`).catch(() => {}); }
  // Both answer 204, unmuting an unmuted channel too (traces/hold-moh-transfer); a channel gone is nothing to do.
  async mute(channelId: string, direction: 'in' | 'out' | 'both'): Promise<void> { await this.rest.call('POST', `/channels/${enc(channelId)}/mute`, { direction }).catch(ignoreGone); }
  async unmute(channelId: string, direction: 'in' | 'out' | 'both'): Promise<void> { await this.rest.call('DELETE', `/channels/${enc(channelId)}/mute`, { direction }).catch(ignoreGone); }
  async listChannels(): Promise<LiveChannel[]> {
    const list = await this.rest.call('GET', '/channels').catch(rethrow) as { id: string; state: string }[];
    return list.map((c) => ({ id: c.id, state: c.state }));
  }
  async close(): Promise<void> {
    this.closing = true;
    try { this.client?.stop(); } catch { /* already closed */ }
    this.rest.close();
  }
}
