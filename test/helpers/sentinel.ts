import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './private-redis.ts';

export interface SentinelRedis {
  /** REDIS_SENTINELS for Beckon: "127.0.0.1:port,…" */
  sentinels: string;
  /** REDIS_SENTINEL_NAME */
  name: string;
  primaryPort: number;
  replicaPort: number;
  /** The port the Sentinels name as the primary now. */
  currentPrimaryPort(): number | null;
  /** SIGKILLs the first primary: no shutdown, no last save, clients see the connection drop. */
  killPrimary(): void;
  /** Resolves once the Sentinels name the replica as the primary and it accepts writes. */
  waitForFailover(ms?: number): Promise<void>;
  close(): Promise<void>;
}

const cli = (port: number, ...args: string[]): string => {
  try { return execFileSync('redis-cli', ['-p', String(port), ...args], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 }).toString().trim(); } catch { return ''; }
};

async function until(what: string, ms: number, pred: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Real Redis as run with Sentinel: a primary, one replica of it, and three Sentinels (`redis-server
 * --sentinel`, quorum 2) on free ports, each in the foreground as a child of the test. A primary the
 * Sentinels cannot reach for `downAfterMs` is failed over to the replica.
 */
export async function startSentinelRedis(o: { name?: string; downAfterMs?: number } = {}): Promise<SentinelRedis> {
  const name = o.name ?? 'beckon-test';
  const dir = mkdtempSync(join(tmpdir(), 'beckon-sentinel-'));
  const children: ChildProcess[] = [];
  const run = (args: string[]) => { const c = spawn('redis-server', args, { stdio: 'ignore' }); children.push(c); return c; };
  const killAll = () => { for (const c of children) if (c.exitCode === null) c.kill('SIGKILL'); };
  process.once('exit', killAll);
  const common = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  const primaryPort = await freePort();
  const replicaPort = await freePort();
  const primary = run(['--port', String(primaryPort), ...common]);
  run(['--port', String(replicaPort), ...common, '--replicaof', '127.0.0.1', String(primaryPort)]);
  await until('the replica to sync', 10_000, () => cli(replicaPort, 'info', 'replication').includes('master_link_status:up'));
  const sentinelPorts = [await freePort(), await freePort(), await freePort()];
  for (const port of sentinelPorts) {
    const conf = join(dir, `sentinel-${port}.conf`);
    writeFileSync(conf, [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${name} 127.0.0.1 ${primaryPort} 2`,
      `sentinel down-after-milliseconds ${name} ${o.downAfterMs ?? 1000}`,
      `sentinel failover-timeout ${name} 10000`,
      `sentinel parallel-syncs ${name} 1`,
      '',
    ].join('\n'));
    run([conf, '--sentinel']);
  }
  // Every Sentinel must know the replica and the two other Sentinels before a failover can be agreed on.
  await until('the Sentinels to find the replica and each other', 20_000, () => sentinelPorts.every((p) => {
    const primaryInfo = cli(p, 'sentinel', 'master', name);
    return cli(p, 'sentinel', 'replicas', name).includes(String(replicaPort)) && /num-other-sentinels\n2(\n|$)/.test(primaryInfo);
  }));
  const currentPrimaryPort = () => {
    const addr = cli(sentinelPorts[0]!, 'sentinel', 'get-master-addr-by-name', name).split('\n');
    return addr.length === 2 ? Number(addr[1]) : null;
  };
  return {
    sentinels: sentinelPorts.map((p) => `127.0.0.1:${p}`).join(','),
    name, primaryPort, replicaPort, currentPrimaryPort,
    killPrimary: () => { primary.kill('SIGKILL'); },
    async waitForFailover(ms = 20_000) {
      await until('the Sentinels to promote the replica', ms, () => currentPrimaryPort() === replicaPort && cli(replicaPort, 'role').startsWith('master'));
    },
    async close() {
      killAll();
      process.removeListener('exit', killAll);
      await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : null)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
