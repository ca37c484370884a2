import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from './migrate.ts';
import { createPool, type Pool } from './pool.ts';
import { waitAtMost } from '../wait-at-most.ts';

export interface ScratchDatabase { name: string; url: string; pool: Pool; drop(): Promise<void> }

/**
 * A fresh database, migrated with the real migrations, for one test file or one benchmark scenario, so that
 * runs in parallel never see each other's rows; `drop` removes it. `adminUrl` names a database the role may
 * connect to (to create and drop the new one).
 */
export async function createScratchDatabase(adminUrl: string, prefix: string, label: string, poolSize = 10): Promise<ScratchDatabase> {
  const name = `${prefix}_${label.replace(/\W/g, '_').slice(0, 30)}_${randomBytes(3).toString('hex')}`.toLowerCase();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await migrate(url.toString());
  const pool = createPool(url.toString(), poolSize);
  return {
    name,
    url: url.toString(),
    pool,
    async drop() {
      // pool.end() waits for every client to come back; one a caller never released would hold it forever.
      // DROP ... WITH (FORCE) ends whatever connection is left.
      await waitAtMost(pool.end().catch(() => {}), 5000);
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => {});
      await admin.end();
    },
  };
}
