import os from 'node:os';
import pg from 'pg';
import { Redis } from 'ioredis';
import { withDefaultUser } from '../../../src/platform/config.ts';
import { REDIS_URL } from './bench-env.ts';
import type { Machine } from './report.ts';

export async function describeMachine(): Promise<Omit<Machine, 'loadAfter'>> {
  const cpus = os.cpus();
  let postgres = 'PostgreSQL ?';
  const client = new pg.Client({ connectionString: withDefaultUser(process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgres://127.0.0.1:5432/postgres') });
  try {
    await client.connect();
    const { rows } = await client.query('SHOW server_version');
    postgres = `PostgreSQL ${String(rows[0].server_version).split(' ')[0]}`;
  } catch { /* reported as unknown */ } finally { await client.end().catch(() => {}); }
  let redis = '?';
  const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    redis = /redis_version:(\S+)/.exec(await r.info('server'))?.[1] ?? '?';
  } catch { /* reported as unknown */ } finally { r.disconnect(); }
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown CPU',
    cores: cpus.length,
    ramGb: os.totalmem() / 1024 ** 3,
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    postgres,
    redis,
    loadBefore: os.loadavg(),
  };
}
