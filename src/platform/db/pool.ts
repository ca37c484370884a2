import pg from 'pg';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

// timestamptz and bigint come back as Date and string by default; count(*) fits in a JS number for us.
pg.types.setTypeParser(20, (v) => Number(v));

export interface PoolOptions {
  /**
   * The URL reaches PostgreSQL through a pooler in transaction mode (PgBouncer pool_mode=transaction): a server
   * connection serves another client after each transaction, so nothing may depend on the session. Statements
   * are then sent unnamed (a named one prepared on one server connection would be missing, or clash, on the
   * next) and no setting is sent at startup (PgBouncer refuses unknown startup parameters). Unnamed statements
   * are planned at each execution, which is what plan_cache_mode below asks of named ones.
   */
  transactionPooling?: boolean;
}

/**
 * Every statement is planned at each execution (plan_cache_mode=force_custom_plan). Our hot statements are named
 * (prepared once per connection), and for those PostgreSQL would otherwise settle, after five runs, on one
 * generic plan made from the table statistics of that moment and keep it until the next ANALYZE. On a new
 * install that moment finds callback_requests nearly empty: the open-request lookup then walked a subscriber's
 * whole queue per request (callback_requests_subscriber_idx) or scanned the table, slower as the queue grew
 * (npm run bench: the accept rate fell from 2,000 to 550 req/s in 40 s, PostgreSQL CPU per request ten times
 * higher; test/integration/query-plans.test.ts). A plain `id = ANY($1)` lookup can settle on a table scan the
 * same way. Planning each execution costs a fraction of a millisecond per statement, and the hot statements
 * carry a batch of requests each (statement-batcher.ts).
 */
export function createPool(databaseUrl: string, max = 10, o: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl, max, connectionTimeoutMillis: 3000, idleTimeoutMillis: 30000,
    ...(o.transactionPooling ? { Client: UnnamedStatementClient } : { options: '-c plan_cache_mode=force_custom_plan' }),
  });
  // An idle client losing its connection (PostgreSQL restart) must not crash the process.
  pool.on('error', () => {});
  return pool;
}

/** A client that sends every statement unnamed: the `name` of a query config is dropped, the rest kept. */
class UnnamedStatementClient extends pg.Client {
  override query(...args: unknown[]): never {
    const [config] = args;
    if (config && typeof config === 'object' && 'name' in config && typeof (config as { submit?: unknown }).submit !== 'function') {
      const { name: _name, ...unnamed } = config as Record<string, unknown>;
      args[0] = unnamed;
    }
    return (pg.Client.prototype.query as (...a: unknown[]) => never).apply(this, args);
  }
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
