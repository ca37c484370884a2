import Bull from 'bull';
import { Redis } from 'ioredis';
import { withDeadline } from '../wait-at-most.ts';
import { createRedis, type RedisTarget } from '../redis.ts';
import { redisKeys } from '../redis-keys.ts';
import { ignoreWorkerNameFailure } from './worker-name.ts';

/**
 * What a job is for: the request, the attempts it had when the job was made (the step: 0 = first call, n = the
 * retry after attempt n) and when that step is due (epoch ms). The claim refuses a job whose step is past (a
 * stalled job Bull redelivers after a restart, a job id pruned and added again from a stale listing) and
 * re-delays one that fires before the request's next_attempt_at, so retries keep their back-off and hours.
 * A job may carry only `requestId` (jobs queued by earlier releases still sit in Redis): its id names the step (jobIdFor).
 */
export interface CallbackJob { requestId: string; attempt?: number; dueAt?: number }

/** A job's step, from its data or else its id; `attempt` null when neither names one (agent wake-ups: any step). */
export function jobStep(job: { id?: string | number; data: CallbackJob }): { attempt: number | null; dueAt: number | null } {
  const dueAt = typeof job.data.dueAt === 'number' ? job.data.dueAt : null;
  if (typeof job.data.attempt === 'number') return { attempt: job.data.attempt, dueAt };
  const id = String(job.id ?? '');
  if (id === job.data.requestId) return { attempt: 0, dueAt };
  const m = /^[0-9a-f-]{36}:(\d+)$/.exec(id);
  return { attempt: m ? Number(m[1]) : null, dueAt };
}

export const CALLBACK_QUEUE = 'callbacks';

/**
 * The queue of one Asterisk node: jobs for calls that must ring on that node, taken only by its workers. Every
 * other job is in the shared CALLBACK_QUEUE, which every worker takes from.
 */
export function nodeQueueName(node: string): string {
  return `${CALLBACK_QUEUE}-node-${node}`;
}

/** Bull job ids: one job per request and attempt number, so a second enqueue of the same step is a no-op. */
export function jobIdFor(requestId: string, attempt = 0): string {
  return attempt === 0 ? requestId : `${requestId}:${attempt}`;
}

export interface CallbackQueue {
  queue: Bull.Queue<CallbackJob>;
  /**
   * Redis connection used for commands (not the blocking ones): readiness checks, and the command connection of
   * every other Bull producer (notices, webhooks, verification calls, the queue board). Bull defines its scripts
   * on each connection it is given, and on an auto-pipelined connection every flush copies all of them into a
   * new pipeline object (ioredis): on the general connection (container.ts) that was half of what the worker's
   * scavenges promoted, so Bull's scripts live on this one connection only.
   */
  client: Redis;
  /** Adds the job for a step; with `node`, to that Asterisk node's queue (only its workers dial it). */
  enqueue(requestId: string, opts?: { delayMs?: number; attempt?: number; timeoutMs?: number; node?: string | null }): Promise<void>;
  /** One node's queue (see nodeQueueName), made on first use and closed with this one. */
  forNode(node: string): Bull.Queue<CallbackJob>;
  /**
   * A job that fired before its step was due, or that a worker could not take (see the socket gate), added again
   * for `dueAt` under an id of its own (the first is still active); with `node`, to that node's queue.
   */
  redelay(job: { requestId: string; attempt: number | null }, dueAt: number, node?: string | null): Promise<void>;
  ready(): boolean;
  close(): Promise<void>;
}

export function createCallbackQueue(redisUrl: RedisTarget, prefix: string): CallbackQueue {
  // Job adds of concurrent requests share socket writes (see container.ts); the blocking and subscriber
  // connections below must not pipeline.
  const client = createRedis(redisUrl, { enableAutoPipelining: true });
  const subscriber = createRedis(redisUrl, { enableOfflineQueue: true, maxRetriesPerRequest: null, enableReadyCheck: false });
  const blocking: Redis[] = [];
  // Every queue here shares the command and subscriber connections; each consumer gets blocking ones of its own.
  const open = (name: string) => {
    const q = new Bull<CallbackJob>(name, {
      prefix: redisKeys(prefix).bull(),
      createClient: (type) => {
        if (type === 'client') return client;
        if (type === 'subscriber') return subscriber;
        // Blocking connection used by workers: must retry forever and queue while reconnecting.
        const b = createRedis(redisUrl, { enableOfflineQueue: true, maxRetriesPerRequest: null, enableReadyCheck: false });
        blocking.push(b);
        return b;
      },
      defaultJobOptions: { removeOnComplete: 1000, removeOnFail: 5000, attempts: 3, backoff: { type: 'exponential', delay: 1000 } },
    });
    q.on('error', () => {});
    return ignoreWorkerNameFailure(q);
  };
  const queue = open(CALLBACK_QUEUE);
  const nodes = new Map<string, Bull.Queue<CallbackJob>>();
  const forNode = (node: string) => {
    let q = nodes.get(node);
    if (!q) { q = open(nodeQueueName(node)); nodes.set(node, q); }
    return q;
  };
  return {
    queue,
    client,
    ready: () => client.status === 'ready',
    forNode,
    async enqueue(requestId, opts = {}) {
      if (client.status !== 'ready') throw new Error('redis not ready');
      const delay = Math.max(0, opts.delayMs ?? 0);
      const attempt = opts.attempt ?? 0;
      const add = (opts.node ? forNode(opts.node) : queue).add({ requestId, attempt, dueAt: Date.now() + delay }, { jobId: jobIdFor(requestId, attempt), delay });
      const ms = opts.timeoutMs ?? 1000;
      await withDeadline(add, ms, () => new Error(`timed out after ${ms} ms`));
    },
    async redelay(job, dueAt, node) {
      const data: CallbackJob = { requestId: job.requestId, dueAt, ...(job.attempt === null ? {} : { attempt: job.attempt }) };
      const base = job.attempt === null ? `${job.requestId}:any` : jobIdFor(job.requestId, job.attempt);
      await withDeadline((node ? forNode(node) : queue).add(data, { jobId: `${base}@${dueAt}`, delay: Math.max(0, dueAt - Date.now()) }), 1000, () => new Error('timed out after 1000 ms'));
    },
    async close() {
      await Promise.all([queue, ...nodes.values()].map((q) => q.close().catch(() => {})));
      // Bull leaves connections it did not create itself open; these are ours.
      for (const r of [client, subscriber, ...blocking]) r.disconnect();
    },
  };
}
