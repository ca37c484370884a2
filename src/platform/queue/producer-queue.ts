import Bull from 'bull';
import type { Redis } from 'ioredis';
import { redisKeys } from '../redis-keys.ts';

/**
 * A Bull queue object that adds and reads jobs over the given command connection only: a producer (the web
 * process's notices, webhook kicks and verification calls) or the operator's queue board. Consuming or listening
 * would need connections of its own (Bull creates them lazily); asking for one is a bug, refused at once. Its
 * errors are left to the connection's owner.
 */
export function producerQueue<T>(name: string, redis: Redis, prefix: string, defaultJobOptions?: Bull.JobOptions): Bull.Queue<T> {
  const queue = new Bull<T>(name, {
    prefix: redisKeys(prefix).bull(),
    createClient: (type) => {
      if (type === 'client') return redis;
      throw new Error(`the ${name} queue object here only adds and reads jobs (it was asked for a ${type} connection)`);
    },
    ...(defaultJobOptions ? { defaultJobOptions } : {}),
  });
  queue.on('error', () => {});
  return queue;
}
