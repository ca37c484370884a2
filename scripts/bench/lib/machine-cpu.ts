import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Redis } from 'ioredis';
import { REDIS_URL } from './bench-env.ts';

/** Jiffies the whole machine spent busy and in all, from the first (`cpu `) line of /proc/stat. */
export interface MachineTicks { busy: number; total: number }

/**
 * The `cpu` line sums all cores: user nice system idle iowait irq softirq steal guest guest_nice. Idle and
 * iowait are not busy; guest time is already inside user and nice, so it is left out of the total.
 */
export function parseProcStat(text: string): MachineTicks {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new Error('no cpu line in /proc/stat');
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: total - idle, total };
}

/** Cores busy on average between two readings (0..cores): how close the machine was to full. */
export function coresBusy(a: MachineTicks, b: MachineTicks, cores: number): number {
  const total = b.total - a.total;
  return total > 0 ? ((b.busy - a.busy) / total) * cores : NaN;
}

export function readMachineTicks(): MachineTicks | null {
  try { return parseProcStat(readFileSync('/proc/stat', 'utf8')); } catch { return null; }
}

/** Machine-wide CPU use over a stretch of work, in cores busy; NaN off Linux. */
export function machineCpuMark(): { coresBusy(): number } {
  const a = readMachineTicks();
  const cores = os.cpus().length;
  return { coresBusy: () => { const b = readMachineTicks(); return a && b ? coresBusy(a, b, cores) : NaN; } };
}

/** Redis server CPU (user + system) in ms from INFO cpu: readable even when Redis runs elsewhere. */
export function parseRedisCpuMs(info: string): number {
  const s = (k: string) => Number(new RegExp(`^${k}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN);
  return (s('used_cpu_user') + s('used_cpu_sys')) * 1000;
}

export async function redisCpuMs(redis: Redis): Promise<number> {
  try { return parseRedisCpuMs(await redis.info('cpu')); } catch { return NaN; }
}

export function benchRedis(): Redis {
  return new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
}
