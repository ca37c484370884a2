import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { waitAtMost } from '../../src/platform/wait-at-most.ts';
import { freePort } from './private-redis.ts';

/** Debian's pgbouncer (package pgbouncer) in /usr/sbin, or one on PATH; null when none is installed. */
export function pgbouncerBinary(): string | null {
  for (const p of ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer']) if (existsSync(p)) return p;
  return null;
}

export interface PgBouncer {
  port: number;
  /** The URL of `database` through this PgBouncer, as the user the tests connect to PostgreSQL as. */
  urlFor(database: string): string;
  /** The pool_mode PgBouncer reports for `database` (its admin console, SHOW POOLS). */
  poolMode(database: string): Promise<string | null>;
  close(): Promise<void>;
}

/**
 * A PgBouncer of the test's own on a free port in front of PostgreSQL on 127.0.0.1:5432, every database
 * passed through (`*`), in `poolMode` with at most `poolSize` server connections per database and user: fewer
 * than the clients' pool, so clients really share server connections. It trusts the test's user (auth_type
 * trust; the user is listed in its auth file as trust requires). Started as root it drops to `postgres`
 * (PgBouncer refuses to run as root).
 */
export async function startPgBouncer(o: { poolMode?: 'transaction' | 'session'; poolSize?: number } = {}): Promise<PgBouncer> {
  const bin = pgbouncerBinary();
  if (!bin) throw new Error('pgbouncer is not installed');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'beckon-pgbouncer-'));
  chmodSync(dir, 0o777);
  const user = process.env.PGUSER ?? userInfo().username;
  writeFileSync(join(dir, 'users.txt'), `"${user}" ""\n`, { mode: 0o644 });
  writeFileSync(join(dir, 'pgbouncer.ini'), [
    '[databases]',
    '* = host=127.0.0.1 port=5432',
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    'auth_type = trust',
    `auth_file = ${join(dir, 'users.txt')}`,
    `admin_users = ${user}`,
    `pool_mode = ${o.poolMode ?? 'transaction'}`,
    `default_pool_size = ${o.poolSize ?? 4}`,
    'max_client_conn = 500',
    `logfile = ${join(dir, 'pgbouncer.log')}`,
    '',
  ].join('\n'), { mode: 0o644 });
  const args = [...(process.getuid?.() === 0 ? ['-u', 'postgres'] : []), join(dir, 'pgbouncer.ini')];
  const child: ChildProcess = spawn(bin, args, { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const urlFor = (database: string) => `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  const admin = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({ connectionString: urlFor('pgbouncer') });
    await c.connect();
    try { return await fn(c); } finally { await c.end().catch(() => {}); }
  };
  for (let i = 0; ; i++) {
    try { await admin((c) => c.query({ text: 'SHOW VERSION', queryMode: 'simple' } as pg.QueryConfig)); break; } catch (err) {
      if (i >= 50 || child.exitCode !== null) { child.kill('SIGKILL'); throw new Error(`pgbouncer did not start: ${(err as Error).message}`); }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    port,
    urlFor,
    poolMode: (database) => admin(async (c) => {
      const { rows } = await c.query({ text: 'SHOW POOLS', queryMode: 'simple' } as pg.QueryConfig);
      return (rows.find((r: { database: string }) => r.database === database) as { pool_mode?: string } | undefined)?.pool_mode ?? null;
    }),
    async close() {
      if (child.exitCode === null) { child.kill('SIGTERM'); await waitAtMost(exited, 3000); }
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
