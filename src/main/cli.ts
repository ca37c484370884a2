import { Command } from 'commander';
import { loadConfig, ConfigError, weakSessionSecret, type Config } from '../platform/config.ts';
import { createLogger } from '../platform/logger.ts';
import { migrate } from '../platform/db/migrate.ts';
import { createPool } from '../platform/db/pool.ts';
import { createContainer } from './container.ts';
import { startWeb } from './web.ts';
import { startWorker } from './worker.ts';
import { checkAri, checkPostgres, checkRedis, DependencyError } from './preflight.ts';
import { runDemo } from './demo.ts';

function fail(err: unknown): never {
  if (err instanceof DependencyError || err instanceof ConfigError) {
    process.stderr.write(`beckon: ${err.message}\n`);
  } else {
    process.stderr.write(`beckon: ${(err as Error)?.stack ?? String(err)}\n`);
  }
  process.exit(1);
}

function onSignals(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = () => {
    if (stopping) process.exit(1);
    stopping = true;
    stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}

/** `web`, `worker` and `start` serve real visitors: they never run with the demo's secret (the demo and tests may). */
function requireStrongSecret(config: Config): void {
  const problem = weakSessionSecret(config);
  if (problem) throw new ConfigError(problem);
}

async function web(config: Config) {
  requireStrongSecret(config);
  await checkPostgres(config);
  await checkRedis(config);
  const c = createContainer(config);
  await migrate(config.MIGRATION_DATABASE_URL ?? config.DATABASE_URL, (m) => c.log.debug(m));
  const w = await startWeb(c);
  onSignals(async () => { await w.stop(); await c.close(); });
}

async function worker(config: Config) {
  requireStrongSecret(config);
  await checkPostgres(config);
  await checkRedis(config);
  await checkAri(config);
  const c = createContainer(config);
  const w = await startWorker(c);
  onSignals(async () => { await w.stop(); await c.close(); });
}

/**
 * A small installation in one process: the web app and a worker against a real Asterisk, same settings and
 * checks as `web` and `worker` apart. Stopping ends the worker first (its calls get SHUTDOWN_GRACE_SEC), so the
 * web keeps answering status pages until the last call is settled.
 */
async function start(config: Config) {
  requireStrongSecret(config);
  await checkPostgres(config);
  await checkRedis(config);
  await checkAri(config);
  const c = createContainer(config);
  await migrate(config.MIGRATION_DATABASE_URL ?? config.DATABASE_URL, (m) => c.log.debug(m));
  const w = await startWeb(c);
  const k = await startWorker(c).catch(async (err) => { await w.stop(); await c.close(); throw err; });
  onSignals(async () => { await k.stop(); await w.stop(); await c.close(); });
}

const program = new Command('beckon').description('Beckon web call-back server');
program.command('web').description('HTTP server: forms, widget, API, portal, consoles').action(() => web(loadConfig()).catch(fail));
program.command('worker').description('queue consumer: places calls through Asterisk ARI').action(() => worker(loadConfig()).catch(fail));
program.command('start').description('web and worker in one process against a real Asterisk (a small installation)').action(() => start(loadConfig()).catch(fail));
program.command('sim').description('Asterisk 22 simulator (ARI + AMI) for tests and the demo').action(async () => {
  const { runSim } = await import('../sim/cli-entry.ts');
  await runSim(process.env).catch(fail);
});
program.command('migrate').description('apply database migrations').action(async () => {
  try {
    const config = loadConfig();
    await checkPostgres(config);
    const log = createLogger(config.LOG_LEVEL);
    const ran = await migrate(config.MIGRATION_DATABASE_URL ?? config.DATABASE_URL, (m) => log.debug(m));
    log.info({ ran }, ran.length ? 'migrations applied' : 'database is up to date');
  } catch (err) { fail(err); }
});
program.command('seed-demo').description('add the demo subscriber and its phones (compose.demo.yaml: web and worker beside `beckon sim`)').action(async () => {
  try {
    const config = loadConfig();
    await checkPostgres(config);
    const { seedDemo } = await import('../demo/seed.ts');
    const pool = createPool(config.DATABASE_URL, 1, { transactionPooling: config.DATABASE_TRANSACTION_POOLING });
    await seedDemo(pool).finally(() => pool.end());
    createLogger(config.LOG_LEVEL).info('demo subscriber ready');
  } catch (err) { fail(err); }
});
program.command('demo').description('migrate, seed the demo subscriber, run web + worker + simulator together').action(() => runDemo().catch(fail));

program.parseAsync(process.argv).catch(fail);
