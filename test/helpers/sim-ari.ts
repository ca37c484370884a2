import WebSocket from 'ws';
import type { Sim } from '../../src/sim/index.ts';

export type AriEvent = Record<string, any> & { type: string };

export interface Reply {
  status: number;
  body: any;
}

const basicAuth = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
/** The headers of a request to the simulator's ARI as Beckon's own ARI user. */
export const ARI_AUTH = { authorization: basicAuth('beckon', 'beckon') } as const;

/** Plain fetch against the simulator, the way the traces' probes called Asterisk. */
export function restClient(sim: Sim, user = 'beckon', password = 'beckon') {
  const auth = basicAuth(user, password);
  return async function rest(method: string, path: string, body?: unknown): Promise<Reply> {
    const res = await fetch(`${sim.ariUrl}${path}`, {
      method,
      headers: { authorization: auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed };
  };
}

/** One ARI WebSocket and everything it received, with a way to wait for a given event. */
export class EventLog {
  readonly events: AriEvent[] = [];
  private waiters: Array<{ pred: (e: AriEvent) => boolean; resolve: (e: AriEvent) => void }> = [];
  closed: Promise<number>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const e = JSON.parse(String(data)) as AriEvent;
      this.events.push(e);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(e)) return true;
        w.resolve(e);
        return false;
      });
    });
    this.closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
  }

  static async open(sim: Sim, app = 'callback', query = ''): Promise<EventLog> {
    const ws = new WebSocket(`${sim.ariUrl.replace(/^http/, 'ws')}/ari/events?app=${app}&api_key=beckon:beckon${query}`);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new EventLog(ws);
  }

  /** Resolves with the first event (already received or still to come) that matches. */
  waitFor(pred: (e: AriEvent) => boolean, timeoutMs = 5000): Promise<AriEvent> {
    const seen = this.events.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for an event; got ${this.events.map((e) => e.type).join(', ')}`)), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  }

  destroyed(channelId: string, timeoutMs = 5000): Promise<AriEvent> {
    return this.waitFor((e) => e.type === 'ChannelDestroyed' && e.channel?.id === channelId, timeoutMs);
  }

  close(): void {
    this.ws.close();
  }
}

export { sleep } from './wait-for.ts';

/** What a test needs to know about an event: its type and the fields that tell cases apart. */
export function summarize(e: AriEvent, roles: Record<string, string>): Record<string, unknown> {
  const ch = e.channel ?? e.peer;
  const out: Record<string, unknown> = { type: e.type };
  if (ch) {
    out.role = roles[ch.id] ?? ch.id;
    out.state = ch.state;
  }
  if (e.dialstatus !== undefined) out.dialstatus = e.dialstatus;
  if (e.cause !== undefined) out.cause = e.cause;
  if (e.cause_txt !== undefined) out.cause_txt = e.cause_txt;
  if (e.tech_cause !== undefined) out.tech_cause = e.tech_cause;
  if (e.soft !== undefined) out.soft = e.soft;
  if (e.args !== undefined) out.args = e.args;
  if (e.digit !== undefined) out.digit = e.digit;
  if (e.bridge) out.bridge_channels = (e.bridge.channels as string[]).map((id) => roles[id] ?? id);
  if (e.playback) {
    out.media_uri = e.playback.media_uri;
    out.playback_state = e.playback.state;
    if (e.playback.next_media_uri) out.next_media_uri = e.playback.next_media_uri;
  }
  return out;
}
