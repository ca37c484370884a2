import http from 'node:http';
import https from 'node:https';
import type { Config } from '../platform/config.ts';

/** Where ARI answers and who we are to it. */
export interface AriEndpoint { url: string; user: string; password: string }

export function ariEndpoint(config: Pick<Config, 'ARI_URL' | 'ARI_USER' | 'ARI_PASSWORD'>): AriEndpoint {
  return { url: config.ARI_URL, user: config.ARI_USER, password: config.ARI_PASSWORD };
}

export interface AriResponse { status: number; body: unknown }

/**
 * The one HTTP client for ARI's REST side (the event WebSocket is ari-client's): the base URL, basic auth, JSON
 * and timeouts are built here only. Plain keep-alive HTTP: ari-client's own REST path (swagger-client 2.0 +
 * shred) costs ~4x the CPU of a plain request, most of it in Node's DEP0005 check for its `new Buffer()` calls.
 */
export class AriHttp {
  private readonly base: URL;
  private readonly auth: string;
  private readonly lib: typeof http | typeof https;
  private readonly agent: http.Agent;

  constructor(endpoint: AriEndpoint) {
    this.base = new URL(`${endpoint.url.replace(/\/+$/, '')}/ari`);
    this.auth = `Basic ${Buffer.from(`${endpoint.user}:${endpoint.password}`).toString('base64')}`;
    this.lib = this.base.protocol === 'https:' ? https : http;
    // Idle sockets are dropped after 4 s, before the server drops them (the simulator after 5 s, Asterisk's
    // http.conf session_keep_alive after 15 s), so a reused socket is rarely a dead one. Idle sockets never
    // keep the process alive.
    this.agent = new this.lib.Agent({ keepAlive: true, timeout: 4000 });
  }

  /**
   * A call as the call flows make it: resolves to the parsed body; a status of 300 or more rejects with an Error
   * whose message is the response body (what ari-client reported, read by the adapter's error classes). Asterisk
   * answers REST at once, so a request idle for 15 s means the node is gone (rejects with ETIMEDOUT).
   */
  async call(method: string, path: string, query?: Record<string, string>, body?: unknown): Promise<unknown> {
    const r = await this.request(method, path, { query, body, idleMs: 15_000 });
    if (r.status >= 300) throw new Error(r.text || `HTTP ${r.status}`);
    return r.body;
  }

  /** A GET for probes and status pages: any status resolves; a network error or `timeoutMs` passing rejects. */
  async get(path: string, timeoutMs: number): Promise<AriResponse> {
    const r = await this.request('GET', path, { deadlineMs: timeoutMs });
    return { status: r.status, body: r.body };
  }

  close(): void { this.agent.destroy(); }

  private request(method: string, path: string, o: { query?: Record<string, string>; body?: unknown; idleMs?: number; deadlineMs?: number }): Promise<{ status: number; text: string; body: unknown }> {
    const qs = o.query ? `?${new URLSearchParams(o.query)}` : '';
    const payload = o.body === undefined ? undefined : JSON.stringify(o.body);
    const send = (mayRetry: boolean) => new Promise<{ status: number; text: string; body: unknown }>((resolve, reject) => {
      const req = this.lib.request({
        agent: this.agent, protocol: this.base.protocol, hostname: this.base.hostname, port: this.base.port,
        method, path: `${this.base.pathname}${path}${qs}`,
        headers: { authorization: this.auth, ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) },
        ...(o.idleMs ? { timeout: o.idleMs } : {}),
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => { clearTimeout(deadline); reject(err); });
        res.on('end', () => {
          clearTimeout(deadline);
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try { body = text ? JSON.parse(text) : undefined; } catch { /* not JSON: the text itself */ }
          resolve({ status: res.statusCode ?? 0, text, body });
        });
      });
      const deadline = o.deadlineMs ? setTimeout(() => req.destroy(new Error(`ETIMEDOUT: ARI answered nothing within ${o.deadlineMs} ms`)), o.deadlineMs) : undefined;
      req.on('timeout', () => req.destroy(new Error('ETIMEDOUT: ARI request timed out')));
      req.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(deadline);
        // A kept-alive socket the server closed while idle fails the next request before the server read it
        // (seen after calls sat bridged for seconds): that request is safe to send again, once.
        if (mayRetry && req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE' || /socket hang up/.test(err.message))) {
          send(false).then(resolve, reject);
          return;
        }
        reject(err);
      });
      req.end(payload);
    });
    return send(true);
  }
}
