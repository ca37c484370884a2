import pg from 'pg';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

// timestamptz and bigint come back as Date and string by default; count(*) fits in a JS number for us.
pg.types.setTypeParser(20, (v) => Number(v));

export function createPool(databaseUrl: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max, connectionTimeoutMillis: 3000, idleTimeoutMillis: 30000 });
  // An idle client losing its connection (PostgreSQL restart) must not crash the process.
  pool.on('error', () => {});
  return pool;
}

/** Runs fn in one transaction; rolls back on any error. */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;
