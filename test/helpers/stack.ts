import { loadConfig, type Config } from '../../src/platform/config.ts';
import { createContainer, type Container } from '../../src/main/container.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { startWeb, type WebHandle } from '../../src/main/web.ts';
import { startWorker, type WorkerHandle, type WorkerExtensions } from '../../src/main/worker.ts';
import type { AppExtensions } from '../../src/main/web-app.ts';
import { startSim, type Sim } from '../../src/sim/index.ts';
import { seedDemo } from '../../src/demo/seed.ts';
import { createTestDatabase, testRedisPrefix } from './database.ts';
import { waitAtMost } from '../../src/platform/wait-at-most.ts';

export interface Stack {
  base: string;
  sim: Sim;
  c: Container;
  web: WebHandle;
  worker: WorkerHandle | null;
  config: Config;
  dbUrl: string;
  env: Record<string, string>;
  close(): Promise<void>;
}

export interface StackOptions {
  label: string;
  env?: Record<string, string>;
  worker?: boolean;
  timeScale?: number;
  app?: AppExtensions;
  workerExt?: WorkerExtensions;
  seed?: boolean;
  /** the demo phone page (/demo/phones) on this stack's simulator, as `npm start` has it */
  demoPhones?: boolean;
}

/**
 * web + worker + simulator in this process against a fresh database and a private Redis prefix: the real
 * parts, talking over real HTTP, WebSocket and TCP. Simulated delays run at `timeScale` (default 0.05).
 */
export async function startStack(o: StackOptions): Promise<Stack> {
  const db = await createTestDatabase(o.label);
  const sim = await startSim({ timeScale: o.timeScale ?? 0.05 });
  const env: Record<string, string> = {
    DATABASE_URL: db.url,
    REDIS_PREFIX: testRedisPrefix(o.label),
    ARI_URL: sim.ariUrl,
    AMI_PORT: String(sim.amiPort),
    PORT: '0',
    HOST: '127.0.0.1',
    WORKER_ID: `t${process.pid}${o.label.replace(/\W/g, '').slice(0, 12)}`,
    CONFIRM_WAIT_MS: '1500',
    RATE_LIMITS_ENABLED: 'false',
    // The per-number call ceiling too: tests ring the same few numbers many times; its own tests turn it on.
    CALL_CEILING_ENABLED: 'false',
    // Web calls on, as in the demo: the worker holds the simulator's inbound app.
    WEBCALL_ENABLED: 'true',
    OUTBOX_INTERVAL_MS: '200',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    SESSION_SECRET: TEST_SESSION_SECRET,
    API_TOKEN: TEST_API_TOKEN,
    // The countries the suites' subscribers and visitors are in (the default would be INSTALL_COUNTRY, US, alone).
    DIAL_ALLOWED_COUNTRIES: 'US,CA,GB,FR,BE,DE',
    ...(o.demoPhones ? { DEMO_PHONES_URL: sim.ariUrl } : {}),
    // The demo subscriber's page at /, as `npm start` has it, wherever that subscriber is seeded.
    DEMO_PAGE: o.seed === false ? 'false' : 'true',
    ...o.env,
  };
  let config0: Config;
  try { config0 = loadConfig(env); } catch (err) { await sim.close(); await db.drop(); throw err; }
  const c0 = createContainer(config0, { log: createLogger(env.LOG_LEVEL) });
  if (o.seed !== false) await seedDemo(c0.pool);
  const web = await startWeb(c0, o.app ?? {}, 0);
  const base = `http://127.0.0.1:${web.port}`;
  // PUBLIC_URL is only known once the port is: rebuild the config with it for everything created later.
  const config = loadConfig({ ...env, PUBLIC_URL: base });
  Object.assign(c0.config, { publicUrl: base, PUBLIC_URL: base });
  const worker = o.worker === false ? null : await startWorker(c0, o.workerExt ?? {});
  return {
    base, sim, c: c0, web, worker, config, dbUrl: db.url, env: { ...env, PUBLIC_URL: base },
    async close() {
      await boundedStep('worker stop', () => worker?.stop(0));
      await boundedStep('web stop', () => web.stop());
      await boundedStep('queue obliterate', () => c0.queue.queue.obliterate({ force: true }));
      await boundedStep('container close', () => c0.close());
      await boundedStep('simulator close', () => sim.close());
      await boundedStep('database drop', () => db.drop());
    },
  };
}

/**
 * One teardown step, given at most `ms`: a step that hangs (a connection that never closes, a client never
 * released) is named on stderr and the teardown goes on, so the file still ends (test/helpers/exit-when-done.ts
 * ends a process something still holds). A step that fails is passed over: the next steps still run.
 */
export async function boundedStep(label: string, step: () => Promise<unknown> | undefined, ms = 30_000): Promise<void> {
  const inTime = await waitAtMost(Promise.resolve().then(step).catch(() => {}), ms);
  if (!inTime) process.stderr.write(`[test] teardown: ${label} did not finish within ${ms} ms; going on\n`);
}

/** The test stack's own secrets (the CLI's web and worker refuse the shipped default). */
export const TEST_SESSION_SECRET = 'test-stack-session-secret-0123456789abcdef';
/** The server-to-server credential of the test stack: a request with it needs no form token. */
export const TEST_API_TOKEN = 'test-stack-api-token-0123456789abcdef0123';
export const API_AUTH = { authorization: `Bearer ${TEST_API_TOKEN}` } as const;

/** An answer as the tests read it: its status, body text, the body parsed when it is JSON (else null), headers. */
export async function readReply(r: Response): Promise<{ status: number; json: any; text: string; headers: Headers }> {
  const text = await r.text();
  let json: any = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, json, text, headers: r.headers };
}

export async function postJson(base: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  return readReply(await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) }));
}

export async function getJson(base: string, path: string) {
  return readReply(await fetch(base + path));
}

export const FINAL = new Set(['completed', 'failed', 'expired', 'canceled']);

/** Polls the public status API until pred holds (or the time runs out, returning the last answer). */
export async function waitForStatus(base: string, created: { id: string; statusToken: string }, pred: (s: any) => boolean, ms = 20000): Promise<any> {
  const deadline = Date.now() + ms;
  let last: any;
  while (Date.now() < deadline) {
    last = (await getJson(base, `/api/v1/callbacks/${created.id}?token=${encodeURIComponent(created.statusToken)}`)).json;
    if (last && pred(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  return last;
}

export function request(base: string, phone: string, extra: Record<string, unknown> = {}) {
  return postJson(base, '/api/v1/callbacks', { subscriber: 'demo', phone, name: 'Test Visitor', pageUrl: 'http://localhost/pricing', consent: true, ...extra }, API_AUTH);
}
