import http from 'node:http';
import { randomUUID } from 'node:crypto';
import Bull from 'bull';
import Koa from 'koa';
import bodyParser from 'koa-bodyparser';

/**
 * The time-to-dial baseline: the same hops as Beckon (HTTP → Bull on the same Redis → a consumer in another
 * process → one ARI originate on the same simulator) with none of Beckon's work (validation, PostgreSQL
 * commits, the call state machine). `web` and `worker` roles run as separate processes, like Beckon's.
 *
 * env: ROLE=web|worker, PORT, REDIS_URL, PREFIX, ARI_URL, CONCURRENCY
 */
const role = process.env.ROLE;
const queue = new Bull<{ phone: string }>('bare', { redis: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', prefix: process.env.PREFIX ?? 'bare' });

if (role === 'web') {
  const app = new Koa();
  app.use(bodyParser({ enableTypes: ['json'], jsonLimit: '64kb', strict: true }));
  app.use(async (ctx) => {
    const phone = String((ctx.request as unknown as { body?: { phone?: unknown } }).body?.phone ?? '');
    const id = randomUUID();
    await queue.add({ phone }, { jobId: id, removeOnComplete: 1000 });
    ctx.status = 202;
    ctx.body = { id, status: 'queued' };
  });
  const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('bare pipeline web ready\n'));
  server.keepAliveTimeout = 65_000;
  process.on('SIGTERM', () => server.close(() => void queue.close().then(() => process.exit(0))));
} else if (role === 'worker') {
  const ari = new URL(process.env.ARI_URL ?? 'http://127.0.0.1:8088');
  const agent = new http.Agent({ keepAlive: true });
  const auth = `Basic ${Buffer.from('beckon:beckon').toString('base64')}`;
  const originate = (phone: string) => new Promise<void>((resolve, reject) => {
    const q = new URLSearchParams({ endpoint: `PJSIP/${phone.replace(/^\+/, '')}@carrier`, app: 'bench-bare', channelId: `bare-${randomUUID()}`, timeout: '30' });
    const req = http.request({ agent, host: ari.hostname, port: ari.port, method: 'POST', path: `/ari/channels?${q}`, headers: { authorization: auth } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`originate answered ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
  void queue.process(Number(process.env.CONCURRENCY ?? 50), async (job) => { await originate(job.data.phone); });
  void queue.isReady().then(() => process.stdout.write('bare pipeline worker ready\n'));
  process.on('SIGTERM', () => void queue.close().then(() => process.exit(0)));
} else {
  process.stderr.write('ROLE must be web or worker\n');
  process.exit(2);
}
