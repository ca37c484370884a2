import ari from 'ari-client';
import type { Logger } from '../logger.ts';
import { mapAriEvent, type RawAriEvent } from './ari-event-mapper.ts';
import { NotFoundOnAsterisk, OriginateError, type LiveChannel, type OriginateRequest, type TelephonyEvent, type TelephonyPort } from './telephony-port.ts';

export interface AriOptions { url: string; user: string; password: string; app: string; log: Logger }

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

  constructor(private readonly opts: AriOptions) { this.app = opts.app; }

  onEvent(listener: (e: TelephonyEvent) => void): void { this.listeners.push(listener); }

  private emit(e: TelephonyEvent): void { for (const l of this.listeners) l(e); }

  async connect(): Promise<void> {
    this.client = await ari.connect(this.opts.url, this.opts.user, this.opts.password);
    // '*' gives every event once, with the raw payload; instance objects built by ari-client are not used.
    this.client.on('*', (event: RawAriEvent) => {
      const mapped = mapAriEvent(event);
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

  async originate(req: OriginateRequest): Promise<void> {
    try {
      await this.client.channels.originate({
        endpoint: req.endpoint,
        app: this.app,
        appArgs: req.appArgs.join(','),
        callerId: req.callerId,
        timeout: req.timeoutSec,
        channelId: req.channelId,
        ...(req.variables ? { variables: { variables: req.variables } } : {}),
      });
    } catch (err) {
      const e = classify(err);
      throw e instanceof OriginateError ? e : new OriginateError(0, e.message);
    }
  }

  async answer(channelId: string): Promise<void> { await this.client.channels.answer({ channelId }).catch(ignoreGone); }
  async hangup(channelId: string, reason = 'normal'): Promise<void> { await this.client.channels.hangup({ channelId, reason }).catch(ignoreGone); }
  async createBridge(bridgeId: string): Promise<void> { await this.client.bridges.create({ type: 'mixing', bridgeId, name: bridgeId }); }
  async addToBridge(bridgeId: string, channelId: string): Promise<void> { await this.client.bridges.addChannel({ bridgeId, channel: channelId }); }
  async destroyBridge(bridgeId: string): Promise<void> { await this.client.bridges.destroy({ bridgeId }).catch(ignoreGone); }
  async play(channelId: string, playbackId: string, media: string[]): Promise<void> {
    // One playback with a comma list plays every item (a repeated media= would play only the last).
    await this.client.channels.play({ channelId, playbackId, media: media.join(',') }).catch(ignoreGone);
  }
  async stopPlayback(playbackId: string): Promise<void> { await this.client.playbacks.stop({ playbackId }).catch(() => {}); }
  async startMoh(channelId: string, mohClass: string): Promise<void> { await this.client.channels.startMoh({ channelId, mohClass }).catch(ignoreGone); }
  // Stopping music that already stopped answers 409; the goal (no music) is met either way.
  async stopMoh(channelId: string): Promise<void> { await this.client.channels.stopMoh({ channelId }).catch(() => {}); }
  async listChannels(): Promise<LiveChannel[]> {
    const list = await this.client.channels.list();
    return list.map((c: { id: string; state: string }) => ({ id: c.id, state: c.state }));
  }
  async close(): Promise<void> {
    this.closing = true;
    try { this.client?.stop(); } catch { /* already closed */ }
  }
}
