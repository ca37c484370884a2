import type { Config } from '../platform/config.ts';
import { ensureDatabase } from '../platform/db/migrate.ts';
import { createRedis, redisTarget } from '../platform/redis.ts';
import { AriHttp, ariEndpoint } from '../telephony/ari-http.ts';

/** A dependency a process cannot start without; the message is the one line the operator reads. */
export class DependencyError extends Error {}

function safeUrl(u: string): string {
  try { const url = new URL(u); url.password = url.password ? '***' : ''; return url.toString(); } catch { return u; }
}

export async function checkPostgres(config: Config): Promise<void> {
  try {
    await ensureDatabase(config.MIGRATION_DATABASE_URL ?? config.DATABASE_URL);
  } catch (err) {
    throw new DependencyError(`PostgreSQL is not reachable at ${safeUrl(config.DATABASE_URL)} (${(err as Error).message}). Start it (e.g. pg_ctlcluster <version> main start) or set DATABASE_URL.`);
  }
}

export async function checkRedis(config: Config): Promise<void> {
  const redis = createRedis(redisTarget(config), { retryStrategy: () => null, lazyConnect: true });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new DependencyError(`Redis is not reachable at ${config.REDIS_SENTINELS ? `the primary ${config.REDIS_SENTINEL_NAME} of Sentinels ${config.REDIS_SENTINELS}` : safeUrl(config.REDIS_URL)} (${(err as Error).message}). Start it (e.g. redis-server --daemonize yes) or set REDIS_URL.`);
  } finally {
    redis.disconnect();
  }
}

export async function checkAri(config: Config): Promise<void> {
  const ari = new AriHttp(ariEndpoint(config));
  let status = 0;
  try {
    status = (await ari.get('/asterisk/info', 3000)).status;
  } catch (err) {
    throw new DependencyError(`Asterisk ARI is not reachable at ${config.ARI_URL} (${(err as Error).message}). Start Asterisk with asterisk/conf, or run \`beckon sim\`, or set ARI_URL.`);
  } finally {
    ari.close();
  }
  if (status === 401) throw new DependencyError(`Asterisk ARI at ${config.ARI_URL} refused ARI_USER/ARI_PASSWORD (401). Check ari.conf.`);
  if (status !== 200) throw new DependencyError(`Asterisk ARI at ${config.ARI_URL} answered ${status}; expected 200.`);
}
