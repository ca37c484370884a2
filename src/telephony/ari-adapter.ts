import ari from 'ari-client';
import type { Logger } from '../platform/logger.ts';
import { mapAriEvent, type RawAriEvent } from './ari-event-mapper.ts';
import { AriHttp } from './ari-http.ts';
import { playbacksFailed } from '../platform/metrics.ts';
import { NotFoundOnAsterisk, OriginateError, type LiveChannel, type OriginateRequest, type TelephonyEvent, type TelephonyPort } from './telephony-port.ts';
import { withoutControlChars } from '../platform/validation/text.ts';

export interface AriOptions {
  url: string; user: string; password: string; app: string; log: Logger;
  /**
   * How long an originate waits for the event socket when it is down (default 15 s). Asterisk attaches a new
   * channel to the app only while the app has a socket, and hangs up one answered without it: nothing is dialed blind.
   */
  socketWaitMs?: number;
  /** What an id of ours names (the calls room's naming, src/calls/session/call-ids.ts): a failed playback's prompt and attempt. */
  parseId?: (id: string) => { attemptId: string; leg: string; prompt?: string } | null;
  /**
   * The event socket is pinged this often (default 15 s); one without a pong by the next ping is taken for dead
   * and reconnected. A connection a NAT, firewall or balancer forgot never closes by itself, and meanwhile the
   * worker would dial while hearing nothing.
   */
  pingMs?: number;
}

/** REST errors are an Error whose message is the response body (as ari-client reported them); recover what it meant. */
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

/** The WebSocket ari-client holds for the app (ws 6): what the adapter reads events from and pings. */
interface EventSocket {
  removeAllListeners(event: string): void;
  on(event: 'message', fn: (data: unknown) => void): void;
  ping(): void;
  terminate(): void;
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
  private readonly rest: AriHttp;

  constructor(private readonly opts: AriOptions) {
    this.app = opts.app;
    this.rest = new AriHttp(opts);
  }

  onEvent(listener: (e: TelephonyEvent) => void): void { this.listeners.push(listener); }

  private emit(e: TelephonyEvent): void { for (const l of this.listeners) l(e); }

  async connect(): Promise<void> {
    this.client = await ari.connect(this.opts.url, this.opts.user, this.opts.password);
    this.client.on('pong', () => { this.awaitingPong = false; });
    this.client.on('WebSocketReconnecting', () => {
      this.hangingUp.clear();
      if (this.connected) { this.connected = false; this.opts.log.warn('ARI WebSocket lost; reconnecting'); this.emit({ type: 'connection.lost' }); }
    });
    this.client.on('WebSocketConnected', () => {
      this.readEvents(this.client._ws as EventSocket);
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
    const pingMs = this.opts.pingMs ?? 15_000;
    this.pinger = setInterval(() => this.checkAlive(), pingMs);
    this.pinger.unref();
  }

  /**
   * Events are read from the socket here rather than through ari-client's message handler: that one looks each
   * type up in the API docs it downloaded and throws, inside the socket's handler, on a type they lack (a newer
   * Asterisk's, or a simulator's omission), after which nothing more arrives and nothing says so; it also builds,
   * for every channel, bridge and playback an event names, an object with each REST operation attached, which
   * nothing here uses. Called on every (re)connection, before any message can arrive on the new socket.
   */
  private readEvents(ws: EventSocket): void {
    this.socket = ws;
    this.awaitingPong = false;
    ws.removeAllListeners('message');
    ws.on('message', (data) => {
      let event: RawAriEvent;
      try {
        event = JSON.parse(String(data)) as RawAriEvent;
      } catch {
        this.opts.log.warn({ bytes: String(data).length }, 'ARI event that is not JSON ignored');
        return;
      }
      this.onAriEvent(event);
    });
  }

  private onAriEvent(event: RawAriEvent): void {
    this.noteHangingUp(event);
    const mapped = mapAriEvent(event);
    if (mapped?.type === 'playback.finished' && mapped.failed) this.playbackFailed(event);
    if (mapped) this.emit(mapped);
  }

  private socket: EventSocket | null = null;
  private pinger: NodeJS.Timeout | null = null;
  private awaitingPong = false;

  /** A ping left without a pong for a whole interval: the socket is dead; ending it makes ari-client reconnect. */
  private checkAlive(): void {
    const ws = this.socket;
    if (!ws || !this.connected || this.closing) return;
    if (this.awaitingPong) {
      this.opts.log.warn({ pingMs: this.opts.pingMs ?? 15_000 }, 'ARI WebSocket silent: no answer to a ping; reconnecting');
      this.socket = null;
      ws.terminate();
      return;
    }
    this.awaitingPong = true;
    try { ws.ping(); } catch { /* a socket closing under us: its close starts the reconnect */ }
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
  /**
   * Channels between their ChannelHangupRequest and ChannelDestroyed. Asterisk ends a playback on a channel
   * that hangs up `failed`, after the hang-up request: a visitor hanging up during a prompt is no media fault.
   */
  private readonly hangingUp = new Set<string>();

  private noteHangingUp(event: RawAriEvent): void {
    const id = event.channel?.id;
    if (!id) return;
    if (event.type === 'ChannelHangupRequest') this.hangingUp.add(id);
    else if (event.type === 'ChannelDestroyed') this.hangingUp.delete(id);
  }

  /** Counted either way; logged as a warning only when no hang-up explains it (a sound Asterisk lacks, a tone without indications). */
  private playbackFailed(event: RawAriEvent): void {
    const pb = event.playback as (RawAriEvent['playback'] & { media_uri?: string }) | undefined;
    const parsed = pb ? this.opts.parseId?.(pb.id) ?? null : null;
    const prompt = parsed?.leg === 'playback' ? parsed.prompt ?? 'other' : 'other';
    playbacksFailed.inc({ prompt });
    const target = pb?.target_uri;
    const cutByHangup = typeof target === 'string' && target.startsWith('channel:') && this.hangingUp.has(target.slice('channel:'.length));
    const fields = { playbackId: pb?.id, media: pb?.media_uri, target, prompt, attemptId: parsed?.attemptId };
    if (cutByHangup) this.opts.log.debug(fields, 'playback cut short by a hang-up');
    else this.opts.log.warn(fields, 'playback failed');
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
  async ring(channelId: string): Promise<void> { await this.rest.call('POST', `/channels/${enc(channelId)}/ring`).catch(ignoreGone); }
  async move(channelId: string, app: string, appArgs: string[]): Promise<void> {
    // Never without `app` (see TelephonyPort.move): refused here before anything is sent.
    if (!app) throw new Error('a channel is moved only to a named app');
    await this.rest.call('POST', `/channels/${enc(channelId)}/move`, { app, appArgs: appArgs.join(',') }).catch(rethrow);
  }
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
  /** Whether Asterisk has the resource at `path`: false on 404, null when it cannot say (any other error). */
  private async found(path: string): Promise<boolean | null> {
    try {
      await this.rest.call('GET', path);
      return true;
    } catch (err) {
      return classify(err) instanceof NotFoundOnAsterisk ? false : null;
    }
  }
  async channelExists(channelId: string): Promise<boolean> { return (await this.found(`/channels/${enc(channelId)}`)) !== false; }
  async soundExists(soundId: string): Promise<boolean | null> { return this.found(`/sounds/${enc(soundId)}`); }
  async close(): Promise<void> {
    this.closing = true;
    if (this.pinger) clearInterval(this.pinger);
    try { this.client?.stop(); } catch { /* already closed */ }
    this.rest.close();
  }
}
