import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { AriSink } from './sinks.ts';
import { ariTime } from './time-format.ts';

interface AppEntry {
  name: string;
  sockets: Set<WebSocket>;
  /**
   * Event sources subscribed through POST /applications/{name}/subscription (e.g. endpoint:PJSIP/agent1), each
   * with its count: two POSTs need two DELETEs, and they outlive the socket (app-subscriptions-persist trace).
   */
  sources: Map<string, number>;
  subscribeAll: boolean;
}

/**
 * The Stasis applications and their WebSockets. An app keeps its subscriptions when its socket goes
 * away (events for it are then lost, as Asterisk does); a new socket for the same app takes over.
 * Whether an app exists for REST (it has a socket, channels or subscriptions) is asked through `exists`.
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

  /** The app's entry, made on first use (a socket or a subscription). */
  private entry(name: string): AppEntry {
    let app = this.apps.get(name);
    if (!app) {
      app = { name, sockets: new Set(), sources: new Map(), subscribeAll: false };
      this.apps.set(name, app);
    }
    return app;
  }

  private register(name: string, ws: WebSocket, subscribeAll: boolean): void {
    const app = this.entry(name);
    for (const old of app.sockets) {
      if (this.silent.has(old)) {
        this.forget(old);
        (old as unknown as { _socket?: Duplex })._socket?.destroy();
        continue;
      }
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
    if (this.delivers(ws)) ws.send(JSON.stringify(event));
  }

  /** Sockets whose connection went dead without a close (silenceAll): open as far as Asterisk knows, nothing gets through. */
  private readonly silent = new WeakSet<WebSocket>();

  private delivers(ws: WebSocket): boolean {
    return ws.readyState === WebSocket.OPEN && !this.silent.has(ws);
  }

  publish(apps: Iterable<string>, event: Record<string, unknown>): void {
    const targets = this.allApps.length ? new Set([...apps, ...this.allApps]) : apps;
    for (const name of targets) {
      const app = this.apps.get(name);
      if (!app || app.sockets.size === 0) continue;
      event.application = name;
      const text = JSON.stringify(event);
      for (const ws of app.sockets) if (this.delivers(ws)) ws.send(text);
    }
  }

  endpointSubscribers(endpoint: string): string[] {
    const out: string[] = [];
    for (const app of this.apps.values()) {
      if (app.subscribeAll || app.sources.has(`endpoint:${endpoint}`)) out.push(app.name);
    }
    return out;
  }

  live(name: string): boolean {
    const app = this.apps.get(name);
    if (!app) return false;
    for (const ws of app.sockets) if (ws.readyState === WebSocket.OPEN) return true;
    return false;
  }

  /** An app Asterisk knows: it has a socket or subscriptions (channels in it are the caller's to check). */
  has(name: string): boolean {
    const app = this.apps.get(name);
    return !!app && (app.sockets.size > 0 || app.sources.size > 0);
  }

  names(): string[] {
    return [...this.apps.keys()].filter((n) => this.has(n));
  }

  sources(name: string): string[] {
    return [...(this.apps.get(name)?.sources.keys() ?? [])];
  }

  /** Subscribes (counted); creates the app entry for an app that so far only has channels. */
  subscribe(name: string, source: string): void {
    const app = this.entry(name);
    app.sources.set(source, (app.sources.get(source) ?? 0) + 1);
  }

  /** false when the source was not subscribed; one DELETE takes back one POST. */
  unsubscribe(name: string, source: string): boolean {
    const sources = this.apps.get(name)?.sources;
    const n = sources?.get(source);
    if (!sources || !n) return false;
    if (n > 1) sources.set(source, n - 1);
    else sources.delete(source);
    return true;
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

  /**
   * Every socket goes dead without a close, as a connection a NAT or firewall forgot does: nothing more is read
   * from it (so pings go unanswered, and the client's own close is never seen) and no event reaches it, while
   * its app stays registered to it. A new socket for the app takes over, and the dead one is then let go.
   */
  silenceAll(): void {
    for (const ws of this.socketApps.keys()) {
      this.silent.add(ws);
      (ws as unknown as { _socket?: Duplex })._socket?.pause();
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
