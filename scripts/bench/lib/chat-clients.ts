import http from 'node:http';
import { nowMs } from './load.ts';

/** One Server-Sent Event as it arrived, stamped with the bench process's clock. */
export interface SseArrival { id: string | null; event: string; data: string; at: number }

export interface SseConnection { status: number; close(): void }

/**
 * A Server-Sent Events connection over node:http, as a browser's EventSource holds it: each complete event is
 * handed to `onEvent` the moment its last line arrives (stamped then), so the stamp is the arrival at the client.
 */
export function openSse(url: string, headers: Record<string, string>, onEvent: (e: SseArrival) => void): Promise<SseConnection> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      const status = res.statusCode ?? 0;
      if (status !== 200) { res.resume(); resolve({ status, close: () => req.destroy() }); return; }
      res.setEncoding('utf8');
      let buf = '';
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let id: string | null = null; let event = 'message'; let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('id:')) id = line.slice(3).trim();
            else if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data += line.slice(5).replace(/^ /, '');
          }
          if (data) onEvent({ id, event, data, at: nowMs() });
        }
      });
      res.on('error', () => {});
      resolve({ status, close: () => req.destroy() });
    });
    req.on('error', (err) => { if (!req.destroyed) reject(err); });
  });
}

export interface TimedAnswer { status: number; text: string; sentAt: number; answeredAt: number }

/** A JSON POST on a keep-alive agent; `sentAt` is taken just before the request leaves, as a browser's send. */
export function postJsonTimed(agent: http.Agent, url: string, body: unknown, headers: Record<string, string> = {}): Promise<TimedAnswer> {
  const u = new URL(url);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const sentAt = nowMs();
    const req = http.request({ agent, host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), sentAt, answeredAt: nowMs() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * A conversation started as the widget starts one on a subscriber's site: a form token from
 * `GET /api/v1/form-token`, then `POST /api/v1/chat/start` with the first message.
 */
export async function startWidgetChat(base: string, slug: string, o: { name: string; body: string; pageUrl: string }): Promise<{ id: string; token: string }> {
  const t = await fetch(`${base}/api/v1/form-token?subscriber=${encodeURIComponent(slug)}`);
  const formToken = ((await t.json()) as { token?: string }).token;
  if (t.status !== 200 || !formToken) throw new Error(`form token: ${t.status}`);
  const r = await fetch(`${base}/api/v1/chat/start`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ subscriber: slug, formToken, name: o.name, body: o.body, pageUrl: o.pageUrl, referrer: '' }),
  });
  const text = await r.text();
  if (r.status !== 201) throw new Error(`chat start: ${r.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as { id: string; token: string };
}

/** An agent logged in at /agent/login as the console's page does it: the session cookie to send on its streams. */
export async function agentLogin(base: string, login: string, password: string): Promise<{ cookie: string }> {
  const jar = new Map<string, string>();
  const keep = (r: Response) => {
    for (const c of r.headers.getSetCookie()) { const [kv] = c.split(';'); const i = kv!.indexOf('='); jar.set(kv!.slice(0, i), kv!.slice(i + 1)); }
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const page = await fetch(`${base}/agent/login`, { redirect: 'manual' });
  keep(page);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1];
  if (!csrf) throw new Error(`agent login page: no CSRF token (${page.status})`);
  const r = await fetch(`${base}/agent/login`, {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', cookie: cookie() },
    body: new URLSearchParams({ _csrf: csrf, login, password }).toString(),
  });
  keep(r);
  await r.text();
  if (r.status !== 302) throw new Error(`agent login answered ${r.status}`);
  return { cookie: cookie() };
}
