import test from 'ava';
import net from 'node:net';
import { startPolicyWeb, callback, type PolicyWeb } from '../helpers/policy-web.ts';

/**
 * PostgreSQL going away under a running web process, simulated by a TCP proxy the test cuts: new
 * connections are refused and open ones are reset, as when the server stops.
 */
class CuttableProxy {
  private server: net.Server;
  private sockets = new Set<net.Socket>();
  up = true;
  port = 0;
  constructor(private readonly target: number) {
    this.server = net.createServer((client) => {
      if (!this.up) { client.destroy(); return; }
      const upstream = net.connect(this.target, '127.0.0.1');
      for (const s of [client, upstream]) { this.sockets.add(s); s.on('close', () => this.sockets.delete(s)); s.on('error', () => {}); }
      client.pipe(upstream).pipe(client);
    });
  }
  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }
  cut(): void { this.up = false; for (const s of this.sockets) s.destroy(); }
  restore(): void { this.up = true; }
  close(): Promise<void> { this.cut(); return new Promise((r) => this.server.close(() => r())); }
}

let w: PolicyWeb;
let proxy: CuttableProxy;
test.before(async () => {
  proxy = new CuttableProxy(5432);
  const port = await proxy.listen();
  w = await startPolicyWeb('faultspg', {}, { dbUrl: (url) => { const u = new URL(url); u.port = String(port); return u.toString(); } });
});
test.after.always(async () => { await w?.close(); await proxy?.close(); });

test('PostgreSQL down: requests are refused with 503 and a clear error, nothing is half written, and service resumes', async (t) => {
  const ok = await w.post('/api/v1/callbacks', callback('+1 202 555 0401'));
  t.is(ok.status, 202);
  proxy.cut();
  // Right after the cut (subscriber still cached) and later (cache expired) both fail cleanly.
  for (const phone of ['+1 202 555 0402', '+1 202 555 0403']) {
    const r = await w.post('/api/v1/callbacks', callback(phone));
    t.is(r.status, 503, r.text);
    t.is(r.json.error.code, 'service_unavailable');
    t.regex(r.json.error.message, /temporarily unavailable/);
    t.is(r.headers.get('retry-after'), '30');
  }
  w.c.subscribers.invalidate();
  const uncached = await w.post('/api/v1/callbacks', callback('+1 202 555 0404'));
  t.is(uncached.status, 503);
  const status = await fetch(`${w.base}/api/v1/callbacks/${ok.json.id}?token=${encodeURIComponent(ok.json.statusToken)}`);
  t.is(status.status, 503);
  proxy.restore();
  let back = 0;
  for (let i = 0; i < 50 && back !== 202; i++) {
    back = (await w.post('/api/v1/callbacks', callback('+1 202 555 0405'))).status;
    if (back !== 202) await new Promise((r) => setTimeout(r, 100));
  }
  t.is(back, 202);
  const { rows } = await w.c.pool.query(`SELECT phone_e164 FROM callback_requests ORDER BY created_at`);
  t.deepEqual(rows.map((r) => r.phone_e164), ['+12025550401', '+12025550405']);
  const { rows: hist } = await w.c.pool.query(`SELECT count(*)::int AS n FROM request_status_history`);
  t.is(hist[0].n, 2, 'one history row per stored request, none for the refused ones');
  t.true(w.logs.some((l) => l.level >= 50 && /PostgreSQL unavailable|could not store|request failed/.test(l.msg)));
});
