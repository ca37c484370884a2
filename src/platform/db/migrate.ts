import pg from 'pg';
import { runner } from 'node-pg-migrate';
import { sourcePath } from '../package-files.ts';

const MIGRATIONS_DIR = sourcePath('platform/db/migrations');

/** Creates the database named in the URL when it does not exist, so a fresh installation starts without a manual step. */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!name) return;
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) {
      // Identifier quoting: the name comes from our own configuration, never from a request.
      await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`).catch((err: { code?: string }) => {
        if (err.code !== '42P04' && err.code !== '23505') throw err; // created meanwhile by another process
      });
    }
  } finally {
    await client.end();
  }
}

/** Applies pending migrations (node-pg-migrate, SQL files in src/platform/db/migrations). Safe to run concurrently: it waits on an advisory lock. */
export async function migrate(databaseUrl: string, log: (msg: string) => void = () => {}): Promise<string[]> {
  await ensureDatabase(databaseUrl);
  const ran = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: 'pgmigrations',
    checkOrder: false,
    advisoryLockMode: 'wait',
    log,
    logger: { debug: () => {}, info: log, warn: log, error: log },
  });
  return ran.map((m) => m.name);
}
