import type { Queue } from 'bull';
import type { Logger } from '../platform/logger.ts';
import type { TelephonyPort } from '../telephony/telephony-port.ts';

/**
 * Takes jobs only while the ARI event socket is up: on `connection.lost` the queues' consumers in this process
 * are paused (locally, without waiting for jobs already running; other workers keep consuming), on
 * `connection.restored` resumed. Jobs that arrive meanwhile wait in Redis. Stopping leaves the queues as they are
 * (the SIGTERM path pauses them itself).
 */
export function gateOnSocket(port: TelephonyPort, queues: Queue[], log: Logger): { stop(): void; readonly open: boolean } {
  let stopped = false;
  let open = true;
  // Pauses and resumes run one after another, so a short drop cannot leave a resume overtaken by its pause.
  let chain: Promise<unknown> = Promise.resolve();
  const each = (what: string, op: (q: Queue) => Promise<unknown>) => {
    chain = chain.then(() => Promise.all(queues.map((q) => op(q).catch((err: Error) => log.warn({ err: err.message }, `could not ${what} the queue`)))));
  };
  port.onEvent((e) => {
    if (stopped) return;
    if (e.type === 'connection.lost' && open) {
      open = false;
      log.warn('ARI event socket down: taking no jobs until it is back');
      each('pause', (q) => q.pause(true, true));
    } else if (e.type === 'connection.restored' && !open) {
      open = true;
      log.info('ARI event socket back: taking jobs again');
      each('resume', (q) => q.resume(true));
    }
  });
  return { stop: () => { stopped = true; }, get open() { return open; } };
}
