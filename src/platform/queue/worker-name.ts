import type { Queue } from 'bull';

/**
 * Bull names a consumer's blocking connection (CLIENT SETNAME) when a processor is set, and drops that promise:
 * a queue closed before the name is set (a worker stopped right after it started) rejects with nobody to hear
 * it, which Node treats as a crash. The name only labels the connection for getWorkers(), so a failure to set it
 * is ignored. Every queue that gets a processor goes through here.
 */
export function ignoreWorkerNameFailure<T extends Queue<any>>(q: T): T {
  const setWorkerName = q.setWorkerName.bind(q);
  q.setWorkerName = () => setWorkerName().catch(() => undefined);
  return q;
}
