import client from 'prom-client';
import { AppError } from './errors.ts';

/**
 * Prometheus metrics of this process (one registry per process; web and worker each count what they do), fed
 * from every layer. Gauges that describe the whole installation (active calls, queue depth) are read from
 * PostgreSQL/Redis at scrape time by the /metrics route, so any web process reports the same figures.
 */
export const registry = new client.Registry();
registry.setDefaultLabels({ app: 'beckon' });
client.collectDefaultMetrics({ register: registry, prefix: 'beckon_process_' });

const callbackRequests = new client.Counter({
  name: 'beckon_callback_requests_total',
  help: 'Call-back requests received, by result (accepted, duplicate, refused) and refusal reason (error code)',
  labelNames: ['result', 'reason'] as const,
  registers: [registry],
});

export const dialOutcomes = new client.Counter({
  name: 'beckon_dial_outcomes_total',
  help: 'Ended call attempts by outcome and Q.850 cause',
  labelNames: ['outcome', 'cause'] as const,
  registers: [registry],
});

export const queueWait = new client.Histogram({
  name: 'beckon_queue_wait_seconds',
  help: 'Time from a request being due (accepted, or its scheduled/retry time) to its attempt being dialed',
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
  registers: [registry],
});

export const timeToCallBack = new client.Histogram({
  name: 'beckon_time_to_callback_seconds',
  help: 'Time from the request being accepted to the visitor answering our call',
  buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300, 900, 3600],
  registers: [registry],
});

export const ariReconnects = new client.Counter({
  name: 'beckon_ari_reconnects_total',
  help: 'Times the ARI WebSocket was re-established after a loss',
  registers: [registry],
});

export const playbacksFailed = new client.Counter({
  name: 'beckon_playbacks_failed_total',
  help: 'Playbacks Asterisk reported failed (a sound file it lacks, a tone without indications, or cut short by a hang-up), by prompt',
  labelNames: ['prompt'] as const,
  registers: [registry],
});

export const amiReconnects = new client.Counter({
  name: 'beckon_ami_reconnects_total',
  help: 'Times the AMI session was re-established after a loss',
  registers: [registry],
});

export const callRecords = new client.Counter({
  name: 'beckon_call_records_total',
  help: 'Call records (legs) written, by leg and disposition',
  labelNames: ['leg', 'disposition'] as const,
  registers: [registry],
});

export const activeCalls = new client.Gauge({
  name: 'beckon_active_calls',
  help: 'Call attempts in progress (not ended), all workers',
  registers: [registry],
});

export const queueJobs = new client.Gauge({
  name: 'beckon_queue_jobs',
  help: 'Jobs on the call-back queue by Bull state',
  labelNames: ['state'] as const,
  registers: [registry],
});

/** Counts every outcome of an accept function: accepted, duplicate, or refused by its AppError code. */
export function countAccepts<A extends unknown[], R extends { duplicate?: boolean }>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A) => {
    try {
      const r = await fn(...args);
      callbackRequests.inc({ result: r.duplicate ? 'duplicate' : 'accepted', reason: '' });
      return r;
    } catch (err) {
      callbackRequests.inc({ result: 'refused', reason: err instanceof AppError ? err.code : 'internal_error' });
      throw err;
    }
  };
}
