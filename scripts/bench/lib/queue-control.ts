import Bull from 'bull';
import { CALLBACK_QUEUE } from '../../../src/platform/queue/callback-queue.ts';
import { REDIS_URL } from './bench-env.ts';

/**
 * Holds the call-back queue (Bull's global pause, kept in Redis) so that requests can be accepted while the
 * worker is already up and idle, and then released at once: the worker's ramp is then its own, not the
 * web process's accept rate.
 */
export async function withQueueHandle<T>(prefix: string, fn: (q: { pause(): Promise<void>; resume(): Promise<void> }) => Promise<T>): Promise<T> {
  const queue = new Bull(CALLBACK_QUEUE, { prefix: `${prefix}:bull`, redis: REDIS_URL });
  try {
    return await fn({ pause: () => queue.pause(), resume: () => queue.resume() });
  } finally {
    await queue.close().catch(() => {});
  }
}
