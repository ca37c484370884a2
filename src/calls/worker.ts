import type { Container } from '../container.ts';
import { AriAdapter } from '../telephony/ari-adapter.ts';
import { startOutboxRelay } from '../callbacks/outbox-relay.ts';
import { Dialer, type DialerDeps } from './dialer.ts';

export interface WorkerHandle {
  dialer: Dialer;
  port: AriAdapter;
  /** SIGTERM path: stop taking jobs, let calls finish up to the grace period, then hang up the rest. */
  stop(graceSec?: number): Promise<void>;
}

export type WorkerExtensions = Partial<Pick<DialerDeps, 'resolveCallee' | 'onOptOut' | 'onAttemptEnded'>>;

/** The worker process: holds the ARI connection of one Asterisk node and consumes the call-back queue. */
export async function startWorker(c: Container, ext: WorkerExtensions = {}): Promise<WorkerHandle> {
  const { config, log } = c;
  const app = `${config.ARI_APP}-${config.WORKER_ID}`;
  const port = new AriAdapter({ url: config.ARI_URL, user: config.ARI_USER, password: config.ARI_PASSWORD, app, log });
  await port.connect();
  const dialer = new Dialer({ pool: c.pool, port, queue: c.queue, bus: c.bus, log, config, workerId: config.WORKER_ID, ...ext });
  const relay = startOutboxRelay({ pool: c.pool, queue: c.queue, log, intervalMs: config.OUTBOX_INTERVAL_MS });
  void c.queue.queue.process(config.WORKER_CONCURRENCY, async (job) => {
    const result = await dialer.startAttempt(job.data.requestId);
    return { result };
  });
  log.info({ app, workerId: config.WORKER_ID, ari: config.ARI_URL }, 'worker started');

  return {
    dialer, port,
    async stop(graceSec = config.SHUTDOWN_GRACE_SEC) {
      relay.stop();
      dialer.drain();
      // Local pause: this worker takes no new jobs; jobs not started stay in Redis for other workers.
      await c.queue.queue.pause(true, true).catch(() => {});
      const deadline = Date.now() + graceSec * 1000;
      while (dialer.activeCalls > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      if (dialer.activeCalls > 0) {
        log.warn({ calls: dialer.activeCalls }, 'grace period over; ending calls still in progress');
        await Promise.all([...dialer.sessions.values()].map((s) => s.dispatch({ type: 'abort', reason: 'worker shutting down' })));
      }
      await port.close();
    },
  };
}
