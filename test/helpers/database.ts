import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { migrate } from '../../src/db/migrate.ts';
import { createPool, type Pool } from '../../src/db/pool.ts';
import { withDefaultUser } from '../../src/config.ts';

const ADMIN_URL = withDefaultUser(process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://127.0.0.1:5432/postgres');

/** A fresh, migrated database for one test file, so files run in parallel without seeing each other. */
export async function createTestDatabase(label: string): Promise<{ url: string; pool: Pool; drop(): Promise<void> }> {
  const name = `beckon_t_${label.replace(/\W/g, '_').slice(0, 30)}_${randomBytes(3).toString('hex')}`.toLowerCase();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  await migrate(url.toString());
  const pool = createPool(url.toString(), 10);
  return {
    url: url.toString(),
    pool,
    async drop() {
      await pool.end().catch(() => {});
      const admin = new pg.Client({ connectionString: ADMIN_URL });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => {});
      await admin.end();
    },
  };
}

export function testRedisPrefix(label: string): string {
  return `beckon-test-${label}-${randomBytes(3).toString('hex')}`;
}
