import type { Redis } from 'ioredis';

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

const key = (prefix: string) => `${prefix}:workers`;

/** Writes the beat now and every intervalMs into one Redis hash (field = worker id). */
export function startHeartbeat(redis: Redis, prefix: string, beat: () => WorkerBeat, intervalMs = 5000): { stop(): Promise<void> } {
  const write = () => redis.hset(key(prefix), beat().workerId, JSON.stringify(beat())).catch(() => {});
  void write();
  const timer = setInterval(() => void write(), intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await redis.hdel(key(prefix), beat().workerId).catch(() => {});
    },
  };
}

/** Every worker's last beat; `stale` when it is older than staleMs (a worker that died without saying so). */
export async function readHeartbeats(redis: Redis, prefix: string, staleMs = 20_000): Promise<Array<WorkerBeat & { stale: boolean }>> {
  const all = await redis.hgetall(key(prefix));
  const now = Date.now();
  return Object.values(all).flatMap((raw) => {
    try {
      const b = JSON.parse(raw) as WorkerBeat;
      return [{ ...b, stale: now - Date.parse(b.at) > staleMs }];
    } catch { return []; }
  }).sort((a, b) => a.workerId.localeCompare(b.workerId));
}
