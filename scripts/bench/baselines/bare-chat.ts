import http from 'node:http';
import Koa from 'koa';
import bodyParser from 'koa-bodyparser';
import { Redis } from 'ioredis';

/**
 * The chat baseline: the same two hops as a Beckon chat message between two web processes, with none of
 * Beckon's work (tokens, limits, PostgreSQL). `pub` answers `POST /messages/:conversation` with an XADD to that
 * conversation's stream; `sub` holds one SSE connection per `GET /events/:conversation` and reads every watched
 * stream over one blocking connection (XREAD BLOCK), forwarding each entry as an event, as Beckon's reader does.
 *
 * env: ROLE=pub|sub, PORT, REDIS_URL, PREFIX
 */
const role = process.env.ROLE;
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = process.env.PREFIX ?? 'bare-chat';
const keyOf = (conversation: string) => `${prefix}:chat:${conversation}`;

if (role === 'pub') {
  const redis = new Redis(redisUrl);
  const app = new Koa();
  app.use(bodyParser({ enableTypes: ['json'], jsonLimit: '64kb', strict: true }));
  app.use(async (ctx) => {
    const m = /^\/messages\/([\w-]{1,64})$/.exec(ctx.path);
    if (ctx.method !== 'POST' || !m) { ctx.status = 404; return; }
    const body = String((ctx.request as unknown as { body?: { body?: unknown } }).body?.body ?? '');
    const id = await redis.xadd(keyOf(m[1]!), 'MAXLEN', '~', '200', '*', 'body', body);
    ctx.status = 201;
    ctx.body = { id };
  });
  const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('bare chat pub ready\n'));
  server.keepAliveTimeout = 65_000;
  process.on('SIGTERM', () => server.close(() => { redis.disconnect(); process.exit(0); }));
} else if (role === 'sub') {
  const redis = new Redis(redisUrl);
  const reader = redis.duplicate({ enableAutoPipelining: false });
  const streams = new Map<string, { cursor: string; clients: Set<http.ServerResponse> }>();
  let readerId: number | null = null;
  let running = false;
  let blocked = false;

  const loop = async () => {
    running = true;
    readerId ??= Number(await reader.client('ID'));
    while (streams.size > 0) {
      const keys = [...streams.keys()];
      blocked = true;
      const got = await reader.xread('BLOCK', 5000, 'STREAMS', ...keys, ...keys.map((k) => streams.get(k)!.cursor)).catch(() => null) as [string, [string, string[]][]][] | null;
      blocked = false;
      for (const [key, entries] of got ?? []) {
        const s = streams.get(key);
        for (const [id, fields] of entries) {
          if (s) s.cursor = id;
          const data = JSON.stringify({ id, body: fields[fields.indexOf('body') + 1] ?? '' });
          for (const res of s?.clients ?? []) res.write(`id: ${id}\nevent: message\ndata: ${data}\n\n`);
        }
      }
    }
    running = false;
  };
  const wake = () => {
    if (!running) void loop();
    else if (blocked && readerId !== null) void redis.client('UNBLOCK', readerId).catch(() => {});
  };

  const server = http.createServer(async (req, res) => {
    const m = /^\/events\/([\w-]{1,64})$/.exec(req.url ?? '');
    if (req.method !== 'GET' || !m) { res.writeHead(404).end(); return; }
    const key = keyOf(m[1]!);
    let s = streams.get(key);
    if (!s) {
      // Read from the newest entry at the time the stream is first watched, as Beckon's reader does.
      const last = await redis.xrevrange(key, '+', '-', 'COUNT', 1);
      s = streams.get(key) ?? { cursor: last[0]?.[0] ?? '0-0', clients: new Set() };
      streams.set(key, s);
    }
    const entry = s;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write(': open\n\n');
    entry.clients.add(res);
    req.on('close', () => {
      entry.clients.delete(res);
      if (entry.clients.size === 0) { streams.delete(key); wake(); }
    });
    wake();
  });
  server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('bare chat sub ready\n'));
  process.on('SIGTERM', () => { server.closeAllConnections(); server.close(() => { reader.disconnect(); redis.disconnect(); process.exit(0); }); });
} else {
  process.stderr.write('ROLE must be pub or sub\n');
  process.exit(2);
}
