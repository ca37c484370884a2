import { Writable } from 'node:stream';
import { pino } from 'pino';
import { loadConfig, type Config } from '../../src/platform/config.ts';
import { createContainer, type Container } from '../../src/main/container.ts';
import { startWeb, type WebHandle } from '../../src/main/web.ts';
import { seedDemo } from '../../src/demo/seed.ts';
import { insertSubscriber } from '../../src/subscribers/subscriber.repository.ts';
import { createTestDatabase, testRedisPrefix } from './database.ts';
import { API_AUTH, TEST_API_TOKEN, TEST_SESSION_SECRET, readReply } from './stack.ts';

/**
 * The web process alone (no worker: nothing can be dialed) against a fresh database and Redis prefix, with
 * its log lines captured so tests can check that refusals are logged with their code.
 */
export interface PolicyWeb {
  base: string;
  c: Container;
  config: Config;
  logs: Record<string, any>[];
  /**
   * A request from its own client IP (TRUST_PROXY is on), so tests do not share the per-IP budget. A JSON
   * post to /api/v1/callbacks without a formToken goes as a server holding the API credential (API_AUTH),
   * unless the test sets its own authorization header ('' = none).
   */
  post(path: string, body: unknown, ip?: string, headers?: Record<string, string>): Promise<{ status: number; json: any; text: string; headers: Headers }>;
  addSubscriber(slug: string, settings?: Record<string, unknown>, o?: { timezone?: string; country?: string }): Promise<string>;
  close(): Promise<void>;
}

export async function startPolicyWeb(label: string, env: Record<string, string> = {}, o: { dbUrl?: (url: string) => string } = {}): Promise<PolicyWeb> {
  const db = await createTestDatabase(label);
  const logs: Record<string, any>[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line)); cb(); } });
  const config = loadConfig({
    DATABASE_URL: o.dbUrl ? o.dbUrl(db.url) : db.url, REDIS_PREFIX: testRedisPrefix(label), PORT: '0', HOST: '127.0.0.1', TRUST_PROXY: 'true',
    RATE_LIMITS_ENABLED: 'true', OUTBOX_INTERVAL_MS: '200', SESSION_SECRET: TEST_SESSION_SECRET, API_TOKEN: TEST_API_TOKEN,
    DIAL_ALLOWED_COUNTRIES: 'US,CA,GB,FR,BE,DE', ...env,
  });
  const c = createContainer(config, { log: pino({ level: 'info' }, sink) });
  await seedDemo(c.pool);
  const web: WebHandle = await startWeb(c, {}, 0);
  const base = `http://127.0.0.1:${web.port}`;
  Object.assign(c.config, { publicUrl: base, PUBLIC_URL: base });
  let ipSeq = 1;
  return {
    base, c, config, logs,
    async post(path, body, ip = `198.51.100.${ipSeq++}`, headers = {}) {
      const server = path === '/api/v1/callbacks' && typeof body === 'object' && body !== null && !('formToken' in body) ? API_AUTH : {};
      return readReply(await fetch(base + path, {
        method: 'POST', redirect: 'manual',
        headers: { 'content-type': typeof body === 'string' ? 'application/x-www-form-urlencoded' : 'application/json', 'x-forwarded-for': ip, ...server, ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }));
    },
    async addSubscriber(slug, settings = {}, o = {}) {
      const s = await insertSubscriber(c.pool, {
        slug, name: `Shop ${slug}`, country: o.country ?? 'US', timezone: o.timezone ?? 'America/New_York', phoneE164: '+12025550111', phoneVerified: true, settings,
      });
      return s.id;
    },
    async close() {
      await web.stop().catch(() => {});
      await c.queue.queue.obliterate({ force: true }).catch(() => {});
      const keys = await c.redis.keys(`${config.REDIS_PREFIX}:*`).catch(() => [] as string[]);
      if (keys.length) await c.redis.del(...keys).catch(() => {});
      await c.close();
      await db.drop();
    },
  };
}

export const callback = (phone: string, extra: Record<string, unknown> = {}) =>
  ({ subscriber: 'demo', phone, name: 'Policy Test', consent: true, ...extra });
