import { randomUUID } from 'node:crypto';
import Koa from 'koa';
import bodyParser from 'koa-bodyparser';

/**
 * The accept-path baseline: the same framework and body parser as Beckon's web process, doing nothing but
 * answering 202 with a small JSON body. What Beckon adds on top (validation, subscriber lookup, phone
 * parsing, guards, the PostgreSQL commit, the Bull add) is the difference.
 */
const app = new Koa();
app.use(bodyParser({ enableTypes: ['json'], jsonLimit: '64kb', strict: true }));
app.use(async (ctx) => {
  if (ctx.method !== 'POST') { ctx.status = 404; return; }
  const body = (ctx.request as unknown as { body?: { phone?: unknown } }).body;
  ctx.status = 202;
  ctx.body = { id: randomUUID(), status: 'queued', phone: typeof body?.phone === 'string' ? body.phone : null };
});
const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`bare koa ready on ${JSON.stringify(server.address())}\n`);
});
server.keepAliveTimeout = 65_000;
process.on('SIGTERM', () => server.close(() => process.exit(0)));
