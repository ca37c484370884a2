import { loadConfig } from '../platform/config.ts';
import { createContainer } from './container.ts';
import { migrate } from '../platform/db/migrate.ts';
import { startWeb } from './web.ts';
import { startWorker } from './worker.ts';
import { checkPostgres, checkRedis } from './preflight.ts';
import { startSim } from '../sim/index.ts';
import { seedDemo, DEMO_LOGIN } from '../demo/seed.ts';
import { randomBytes } from 'node:crypto';

/**
 * `npm start`: everything in one process against the local PostgreSQL and Redis, with the simulator standing
 * in for Asterisk on free ports. Bridged demo calls are capped (MAX_CALL_SEC, 20 s unless set) so the
 * status page shows a finished call quickly.
 */
/** The limits the demo runs with unless set: roomy enough to try each simulated phone a few times. */
const DEMO_LIMITS = {
  LIMIT_NUMBERS_PER_VISITOR: '20/3600', LIMIT_PER_IP: '20/600', LIMIT_PER_NUMBER_SHORT: '10/600',
  LIMIT_CALLS_PER_NUMBER_HOUR: '10/3600', LIMIT_CALLS_PER_NUMBER_DAY: '30/86400',
} as const;

export async function runDemo(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const base = loadConfig(env);
  await checkPostgres(base);
  await checkRedis(base);
  const sim = await startSim({ port: 0, amiPort: 0, user: base.ARI_USER, password: base.ARI_PASSWORD, amiUser: base.AMI_USER, amiSecret: base.AMI_SECRET, timeScale: base.SIM_TIME_SCALE, inboundApp: `${base.ARI_APP}-inbound` });
  const config = loadConfig({
    MAX_CALL_SEC: '20', WORKER_ID: `demo${process.pid}`,
    // Redis keys (queue, rate limits) per demo database: two demos, or a demo and an install, never share a
    // queue, and a fresh demo database starts with fresh limits.
    REDIS_PREFIX: `beckon-demo:${new URL(base.DATABASE_URL).pathname.slice(1) || 'beckon'}`,
    // An operator for /admin: a fresh random password per run unless ADMIN_EMAIL/ADMIN_PASSWORD are set.
    ADMIN_EMAIL: 'admin@example.com', ADMIN_PASSWORD: randomBytes(9).toString('base64url'),
    // Raised limits, so one person can try every simulated phone behaviour (numbers ending 0-9) from one
    // browser and call one number several times; the demo page says so. Set them to try the real limits.
    ...DEMO_LIMITS,
    // Scripts on this machine (curl, black-box checks) may post without a form token; browsers still need one.
    FORM_TOKEN_LOOPBACK_EXEMPT: 'true',
    // Webhook endpoints may be plain HTTP on this machine (a receiver script beside the demo).
    WEBHOOK_ALLOW_HTTP_LOOPBACK: 'true',
    // "Call now": browsers call the simulator's SIP-over-WebSocket endpoint (WEBCALL_WS_URL follows ARI_URL).
    WEBCALL_ENABLED: 'true',
    ...env,
    ARI_URL: sim.ariUrl, AMI_HOST: '127.0.0.1', AMI_PORT: String(sim.amiPort),
    // The demo phone page (/demo/phones) reads and drives this simulator's phones.
    DEMO_PHONES_URL: sim.ariUrl,
    // The demo subscriber's page at / (the seed below creates it).
    DEMO_PAGE: 'true',
  });
  const c = createContainer(config);
  await migrate(config.MIGRATION_DATABASE_URL ?? config.DATABASE_URL, (m) => c.log.debug(m));
  await seedDemo(c.pool);
  const web = await startWeb(c);
  const worker = await startWorker(c);
  const url = config.PUBLIC_URL ?? `http://localhost:${web.port}`;
  process.stdout.write([
    '',
    'Beckon demo is running.',
    `  Demo page:          ${url}/`,
    `  Hosted form:        ${url}/c/demo`,
    `  Subscriber portal:  ${url}/login  (${DEMO_LOGIN.email} / ${DEMO_LOGIN.password})`,
    `  API:                POST ${url}/api/v1/callbacks`,
    `  Demo phones:        ${url}/demo/phones  (what each simulated phone heard, e.g. a verification code)`,
    `  Simulated Asterisk: ${sim.ariUrl}/ari (AMI on port ${sim.amiPort})`,
    `  Operator console:   ${url}/admin  (${config.ADMIN_EMAIL} / ${config.ADMIN_PASSWORD ?? '(set ADMIN_PASSWORD)'})`,
    `  Metrics:            ${url}/metrics`,
    'Simulated phones go by the last digit: 0 busy, 9 no answer, 8 rejects, 7 hangs up after 2 s, 6 answering machine, others answer.',
    '',
  ].join('\n') + '\n');
  const stop = async () => { await worker.stop(2); await web.stop(); await c.close(); await sim.close(); };
  let stopping = false;
  const handler = () => { if (stopping) process.exit(1); stopping = true; stop().then(() => process.exit(0), () => process.exit(1)); };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
