import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { AriSink } from './sinks.ts';
import { ariTime } from './time-format.ts';

interface AppEntry {
  name: string;
  sockets: Set<WebSocket>;
  /** event sources subscribed through POST /applications/{name}/subscription, e.g. endpoint:PJSIP/agent1 */
  sources: Set<string>;
  subscribeAll: boolean;
}

/**
 * The Stasis applications and their WebSockets. An app stays registered when its socket goes
 * away (events for it are then lost, as Asterisk does); a new socket for the same app takes over.
 */
export class AriHub implements AriSink {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly apps = new Map<string, AppEntry>();
  private readonly socketApps = new Map<WebSocket, string[]>();
  private allApps: string[] = [];

  constructor(private readonly asteriskId: string) {}

  accept(req: IncomingMessage, socket: Duplex, head: Buffer, appNames: string[], subscribeAll: boolean): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      for (const name of appNames) this.register(name, ws, subscribeAll);
      this.socketApps.set(ws, appNames);
      ws.on('close', () => this.forget(ws));
      ws.on('error', () => this.forget(ws));
      // Clients do not talk on this socket; anything they send is ignored as Asterisk does.
    });
  }

  private register(name: string, ws: WebSocket, subscribeAll: boolean): void {
    let app = this.apps.get(name);
    if (!app) {
      app = { name, sockets: new Set(), sources: new Set(), subscribeAll: false };
      this.apps.set(name, app);
    }
    for (const old of app.sockets) {
      this.sendTo(old, { type: 'ApplicationReplaced', timestamp: ariTime(Date.now()), asterisk_id: this.asteriskId, application: name });
      const list = this.socketApps.get(old);
      if (list) this.socketApps.set(old, list.filter((n) => n !== name));
    }
    app.sockets = new Set([ws]);
    app.subscribeAll = subscribeAll;
    this.refreshAllApps();
  }

  private forget(ws: WebSocket): void {
    const names = this.socketApps.get(ws);
    if (!names) return;
    this.socketApps.delete(ws);
    for (const name of names) this.apps.get(name)?.sockets.delete(ws);
  }

  private refreshAllApps(): void {
    this.allApps = [...this.apps.values()].filter((a) => a.subscribeAll).map((a) => a.name);
  }

  private sendTo(ws: WebSocket, event: Record<string, unknown>): void {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(event));
  }

  publish(apps: Iterable<string>, event: Record<string, unknown>): void {
    const targets = this.allApps.length ? new Set([...apps, ...this.allApps]) : apps;
    for (const name of targets) {
      const app = this.apps.get(name);
      if (!app || app.sockets.size === 0) continue;
      event.application = name;
      const text = JSON.stringify(event);
      for (const ws of app.sockets) if (ws.readyState === WebSocket.OPEN) ws.send(text);
    }
  }

  endpointSubscribers(endpoint: string): string[] {
    const out: string[] = [];
    for (const app of this.apps.values()) {
      if (app.subscribeAll || app.sources.has(`endpoint:${endpoint}`)) out.push(app.name);
    }
    return out;
  }

  has(name: string): boolean {
    return this.apps.has(name);
  }

  names(): string[] {
    return [...this.apps.keys()];
  }

  sources(name: string): string[] {
    return [...(this.apps.get(name)?.sources ?? [])];
  }

  subscribe(name: string, source: string): void {
    this.apps.get(name)?.sources.add(source);
  }

  unsubscribe(name: string, source: string): boolean {
    return this.apps.get(name)?.sources.delete(source) ?? false;
  }

  /**
   * Ends every socket at the TCP level without a WebSocket close frame (clients see 1006), as a
   * dropped connection or a dying Asterisk does. Events already sent are flushed first.
   */
  dropAll(): void {
    for (const ws of [...this.socketApps.keys()]) {
      const tcp = (ws as unknown as { _socket?: Duplex })._socket;
      if (tcp) {
        tcp.end();
        setTimeout(() => tcp.destroy(), 200).unref();
      } else {
        ws.terminate();
      }
      this.forget(ws);
    }
  }

  /** After a restart Asterisk knows no applications until sockets connect again. */
  forgetApps(): void {
    this.apps.clear();
    this.allApps = [];
  }

  close(): void {
    for (const ws of [...this.socketApps.keys()]) ws.terminate();
    this.wss.close();
  }
}
