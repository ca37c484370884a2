import type { Redis } from 'ioredis';
import type { Logger } from '../platform/logger.ts';
import { periodic } from '../platform/periodic.ts';
import { redisKeys } from '../platform/redis-keys.ts';

/** What a worker says about itself every few seconds; the operator console reads it from any web process. */
export interface WorkerBeat {
  workerId: string;
  pid: number;
  at: string;
  ari: { url: string; connected: boolean; reconnects: number };
  ami: { host: string; port: number; connected: boolean; reconnects: number };
  activeCalls: number;
  /** last PeerStatus / ContactStatus / DeviceStateChange seen on AMI, by peer or device */
  peers: Record<string, { status: string; at: string }>;
}

/**
 * Writes the beat now and every intervalMs into one Redis hash (field = worker id); `stop` waits for a write
 * in flight, then removes this worker's field, so a stopped worker never reappears.
 */
export function startHeartbeat(redis: Redis, prefix: string, beat: () => WorkerBeat, log: Logger, intervalMs = 5000): { stop(): Promise<void> } {
  const key = redisKeys(prefix).workers();
  const writes = periodic({
    name: 'worker heartbeat', intervalMs, log, idle: undefined,
    run: async () => { const b = beat(); await redis.hset(key, b.workerId, JSON.stringify(b)).catch(() => {}); },
  });
  void writes.runOnce();
  return {
    async stop() {
      writes.stop();
      await writes.runOnce();
      await redis.hdel(key, beat().workerId).catch(() => {});
    },
  };
}

/** Every worker's last beat; `stale` when it is older than staleMs (a worker that died without saying so). */
export async function readHeartbeats(redis: Redis, prefix: string, staleMs = 20_000): Promise<Array<WorkerBeat & { stale: boolean }>> {
  const all = await redis.hgetall(redisKeys(prefix).workers());
  const now = Date.now();
  return Object.values(all).flatMap((raw) => {
    try {
      const b = JSON.parse(raw) as WorkerBeat;
      return [{ ...b, stale: now - Date.parse(b.at) > staleMs }];
    } catch { return []; }
  }).sort((a, b) => a.workerId.localeCompare(b.workerId));
}
