import { WebSocket } from 'ws';

/**
 * Counts the ARI events the simulator sends. A Stasis app subscribed to everything (`subscribeAll=true`)
 * receives a copy of every event published to any app, so while one worker (or the bare client) is the only
 * app with channels, the tap sees exactly the events that process had to handle.
 */
export class EventTap {
  readonly stamps: number[] = [];
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', () => { this.stamps.push(Date.now()); });
  }

  static async open(ariUrl: string, user = 'beckon', password = 'beckon'): Promise<EventTap> {
    const url = `${ariUrl.replace(/^http/, 'ws')}/ari/events?app=bench-tap&subscribeAll=true&api_key=${encodeURIComponent(`${user}:${password}`)}`;
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
    return new EventTap(ws);
  }

  between(from: number, to: number): number {
    let n = 0;
    for (const t of this.stamps) if (t >= from && t <= to) n++;
    return n;
  }

  reset(): void { this.stamps.length = 0; }

  close(): void { this.ws.terminate(); }
}
