import type { Container } from './container.ts';
import { AriAdapter } from '../telephony/ari-adapter.ts';
import { AmiAdapter } from '../telephony/ami-adapter.ts';
import { startAccounting, type Accounting } from '../accounting/call-recorder.service.ts';
import { startCdrRetention } from '../accounting/cdr-retention.ts';
import { dialOutcomes } from '../platform/metrics.ts';
import { startWorkerStatus } from '../observability/worker-status.ts';
import { startMetricsServer } from '../observability/metrics-server.ts';
import { startOutboxRelay } from '../requests/outbox-relay.ts';
import { createAgentWorker } from '../agents/agent-worker.ts';
import { Dialer } from '../calls/dialer.ts';
import type { AttemptEndListener, CalleeDirectory, DialParties, EndedAttempt, OptOutSink } from '../calls/ports.ts';
import type { CalleeTarget } from '../calls/flow/dial-decision.ts';
import { trunkEndpoint } from '../calls/flow/dial-strings.ts';
import { parseCallId } from '../calls/session/call-ids.ts';
import { startRecovery, STRANDED_GRACE_MS } from '../calls/upkeep/recovery.ts';
import { gateOnSocket } from '../calls/socket-gate.ts';
import { startTakeover } from '../calls/upkeep/takeover.ts';
import { startLiveness } from '../calls/upkeep/worker-liveness.ts';
import { checkEvictionPolicy } from '../platform/redis-eviction-policy.ts';
import { redisTarget } from '../platform/redis.ts';
import { startScheduleRecovery } from '../schedule/schedule-recovery.ts';
import { jobStep } from '../platform/queue/callback-queue.ts';
import { addToDoNotCall } from '../policy/do-not-call.repository.ts';
import { VerificationCaller } from '../verification/verification-caller.ts';
import { operatorDestinations } from '../policy/destination-policy.ts';
import { createVerificationConsumer } from '../verification/verification-queue.ts';
import { createVerificationLimits } from '../verification/verification-limits.ts';
import { createCallCeiling } from '../policy/call-ceiling.ts';
import { startInboundApp, webCallArrival } from '../webcalls/inbound-app.ts';
import { startTicketExpiry } from '../webcalls/ticket-expiry.ts';
import { startNotices } from '../notices/notices.service.ts';
import { startWebhookWorker } from '../webhooks/webhook-worker.ts';
import { startChatUpkeep } from '../chat/chat-upkeep.ts';
import { createNoticeHook } from '../notices/notice-hook.ts';
import { createNoticeProducer } from '../notices/notice-queue.ts';
import { createWebhookProducer } from '../webhooks/delivery-queue.ts';
import { waitAtMost, withDeadline } from '../platform/wait-at-most.ts';
import { checkPromptSounds } from '../calls/prompt-sounds.ts';

export interface WorkerHandle {
  dialer: Dialer;
  port: AriAdapter;
  /** This worker's AMI session (device states, CDRs); one per worker process. */
  ami: AmiAdapter;
  /** The shared inbound web-call app as this worker sees it (null: web calls off): whether it holds it, a lease pass now. */
  inboundApp: { holding(): boolean; runOnce(): Promise<boolean> } | null;
  /** SIGTERM path: stop taking jobs, let calls finish up to the grace period, then hang up the rest. */
  stop(graceSec?: number): Promise<void>;
  /** Run a reconciliation with Asterisk / a scheduled-job recovery pass now (they also run by themselves). */
  recover: { calls(): Promise<void>; scheduled(): Promise<number>; takeover(): Promise<number> };
}

/** Hooks a test (or an embedding) may add to the worker's own. */
export interface WorkerExtensions {
  /** Who answers on the subscriber's side when no agent does (default: the department's phone, else the subscriber's). */
  resolveCallee?: (p: DialParties) => Promise<CalleeTarget | null>;
  /** Called after the opt-out key put a number on the do-not-call list. */
  onOptOut?: (phoneE164: string, subscriberId: string) => Promise<void>;
  /** Called after an attempt's final state is stored and its call records are written. */
  onAttemptEnded?: (a: EndedAttempt) => Promise<void> | void;
  /** The inbound web-call app's lease: how long it lasts and how often its holder renews it (default 15 s, 3 s). */
  inboundLease?: { ttlMs: number; renewMs: number };
}

/**
 * The opt-out key puts the number on the global do-not-call list; pending requests for it are then canceled at
 * dial time (src/calls/flow/dial-decision.ts).
 */
function doNotCallOptOuts(c: Container, ext: WorkerExtensions): OptOutSink {
  return {
    async optOut(phoneE164, subscriberId) {
      await addToDoNotCall(c.pool, { phoneE164, source: 'dtmf', subscriberId });
      await ext.onOptOut?.(phoneE164, subscriberId);
    },
  };
}

/** Every ended attempt: the outcome metric, its call records, and the operator's one line per call end. */
function callRecords(c: Container, accounting: Accounting, ext: WorkerExtensions): AttemptEndListener {
  return {
    async attemptEnded(a) {
      dialOutcomes.inc({ outcome: a.outcome.outcome, cause: String(a.outcome.cause ?? '') });
      const records = await accounting.onAttemptEnded(a);
      // Outcome and the records written (transitions are at debug level).
      c.log.info({
        attemptId: a.attemptId, requestId: a.requestId, outcome: a.outcome.outcome, cause: a.outcome.cause, causeTxt: a.outcome.causeTxt,
        legs: records?.legs ?? null,
      }, 'call ended');
      await ext.onAttemptEnded?.(a);
    },
  };
}

/** The worker process: holds the ARI connection of one Asterisk node and consumes the call-back queue. */
export async function startWorker(c: Container, ext: WorkerExtensions = {}): Promise<WorkerHandle> {
  const { config, log } = c;
  const app = `${config.ARI_APP}-${config.WORKER_ID}`;
  void checkEvictionPolicy(c.redis, log);
  const port = new AriAdapter({ url: config.ARI_URL, user: config.ARI_USER, password: config.ARI_PASSWORD, app, log, parseId: parseCallId });
  await port.connect();
  const ami = new AmiAdapter({ host: config.AMI_HOST, port: config.AMI_PORT, user: config.AMI_USER, secret: config.AMI_SECRET, log: log.child({ component: 'ami' }) });
  await ami.connect().catch(async (err) => { await port.close(); throw err; });
  const accounting = startAccounting({ pool: c.pool, log: log.child({ component: 'accounting' }), trunkTemplate: config.TRUNK_ENDPOINT, ami });
  const cdrRetention = startCdrRetention({ pool: c.pool, log: log.child({ component: 'accounting' }), days: config.CDR_RETENTION_DAYS });
  // Agents: reservations left by this worker's previous run are released before it takes jobs.
  const agentSide = await createAgentWorker(c);
  // One count of the calls placed to each number, for visitor legs and verification calls alike.
  const ceiling = createCallCeiling(c.redis, {
    prefix: config.REDIS_PREFIX, windows: [config.LIMIT_CALLS_PER_NUMBER_HOUR, config.LIMIT_CALLS_PER_NUMBER_DAY],
    enabled: config.CALL_CEILING_ENABLED, log,
  });
  const callees: CalleeDirectory | undefined = ext.resolveCallee ? { resolve: ext.resolveCallee } : undefined;
  const dialer = new Dialer({
    pool: c.pool, port, queue: c.queue, bus: c.bus, log, config, workerId: config.WORKER_ID,
    agents: agentSide.service, ceiling, callees, optOuts: doNotCallOptOuts(c, ext), attemptEnds: callRecords(c, accounting, ext),
  });
  const metricsServer = config.WORKER_METRICS_PORT
    ? await startMetricsServer({ port: config.WORKER_METRICS_PORT, host: config.HOST, token: config.METRICS_TOKEN, allow: config.METRICS_ALLOW })
    : null;
  const status = startWorkerStatus({
    redis: c.redis, prefix: config.REDIS_PREFIX, workerId: config.WORKER_ID, ariUrl: config.ARI_URL, amiHost: config.AMI_HOST, amiPort: config.AMI_PORT,
    port, ami, activeCalls: () => dialer.activeCalls, log,
  });
  await agentSide.attach(dialer, port, ami);
  // Calls a previous run of this worker left in flight are settled with Asterisk before new jobs are taken,
  // and again after every ARI reconnect (src/calls/upkeep/recovery.ts).
  // A request left in flight after its attempts ended is settled once the worker that ended them has stopped
  // retrying its move (CALL_WRITE_RETRY_SEC); a call whose state could not be stored is rebuilt at once.
  const recovery = startRecovery({ pool: c.pool, port, dialer, workerId: config.WORKER_ID, log }, {
    intervalMs: config.RECONCILE_INTERVAL_MS, strandedGraceMs: Math.max(STRANDED_GRACE_MS, config.CALL_WRITE_RETRY_SEC * 1000 + 15_000),
  });
  await waitAtMost(recovery.ready, 10_000);
  const scheduled = startScheduleRecovery({ pool: c.pool, queue: c.queue, log, intervalMs: config.SCHEDULE_RECOVERY_INTERVAL_MS, graceMs: config.SCHEDULE_RECOVERY_GRACE_MS });
  // Liveness for takeover lives in PostgreSQL (worker-liveness.ts), beating several times per takeover delay.
  const liveness = startLiveness({
    db: c.pool, workerId: config.WORKER_ID, node: config.ASTERISK_NODE, log,
    intervalMs: Math.min(5000, Math.max(200, Math.floor((config.TAKEOVER_AFTER_SEC * 1000) / 4) || 5000)),
  });
  await liveness.ready;
  const takeover = startTakeover({
    pool: c.pool, port, dialer, workerId: config.WORKER_ID, node: config.ASTERISK_NODE, log, liveness,
    afterMs: config.TAKEOVER_AFTER_SEC * 1000, intervalMs: config.TAKEOVER_INTERVAL_MS,
  });
  // Web calls (src/webcalls): a call moved to this worker's app arrives with ["webcall", requestId] and runs here;
  // one worker at a time holds the shared inbound app, redeems tickets and moves each call to a worker.
  const inboundApp = `${config.ARI_APP}-inbound`;
  const webcalls = config.WEBCALL_ENABLED ? {
    inbound: startInboundApp({
      pool: c.pool, log: log.child({ component: 'webcalls' }), workerId: config.WORKER_ID, inboundApp, node: config.ASTERISK_NODE,
      workerApp: (id) => `${config.ARI_APP}-${id}`,
      openInbound: async () => {
        const socket = new AriAdapter({ url: config.ARI_URL, user: config.ARI_USER, password: config.ARI_PASSWORD, app: inboundApp, log, parseId: parseCallId });
        // A socket that does not open (Asterisk restarting and refusing WebSockets) is given up, not left retrying
        // on its own: the next lease pass opens a new one.
        try {
          await withDeadline(socket.connect(), 10_000, () => new Error('inbound app socket not open within 10 s'));
        } catch (err) {
          await socket.close().catch(() => {});
          throw err;
        }
        return socket;
      },
      runHere: (requestId, channelId) => dialer.startWebCall(requestId, channelId),
      route: (e) => dialer.route(e),
      watchedMs: () => liveness.watchedMs(),
      leaseTtlMs: ext.inboundLease?.ttlMs, renewMs: ext.inboundLease?.renewMs,
    }),
    expiry: startTicketExpiry({ db: c.pool, log, intervalMs: 30_000 }),
  } : null;
  if (webcalls) {
    port.onEvent((e) => {
      const arrival = webCallArrival(e);
      if (arrival) void dialer.startWebCall(arrival.requestId, arrival.channelId).catch((err: Error) => log.error({ ...arrival, err: err.message }, 'web call not started'));
    });
  }
  const relay = startOutboxRelay({ pool: c.pool, queue: c.queue, log, intervalMs: config.OUTBOX_INTERVAL_MS });
  // Notices by email (new and missed requests, digests, forgotten passwords): only with an SMTP server.
  const notices = config.SMTP_URL ? startNotices({
    pool: c.pool, log, redisUrl: redisTarget(config), prefix: config.REDIS_PREFIX, smtpUrl: config.SMTP_URL, from: config.MAIL_FROM,
    digestHour: config.DIGEST_HOUR, publicUrl: () => config.publicUrl, secret: config.SESSION_SECRET,
  }) : null;
  // What the chat upkeep and the webhook worker tell owners by mail (only with an SMTP server).
  const noticeHook = config.SMTP_URL ? createNoticeHook(c.pool, createNoticeProducer(c.queue.client, config.REDIS_PREFIX)) : null;
  // Signed webhooks: events from request history, delivered from the `webhooks` queue (src/webhooks).
  const webhooks = startWebhookWorker({
    pool: c.pool, redisUrl: redisTarget(config), prefix: config.REDIS_PREFIX, log, intervalMs: config.WEBHOOK_FEED_INTERVAL_MS,
    timeoutMs: config.WEBHOOK_TIMEOUT_MS, allowLoopback: config.WEBHOOK_ALLOW_HTTP_LOOPBACK,
    rules: { baseDelayMs: config.WEBHOOK_RETRY_BASE_MS, maxDelayMs: 3_600_000, windowMs: config.WEBHOOK_RETRY_WINDOW_SEC * 1000, disableAfterMs: config.WEBHOOK_DISABLE_AFTER_SEC * 1000 },
    onDisabled: noticeHook ? (e) => noticeHook.webhookDisabled({
      subscriberId: e.subscriberId, endpointId: e.id, url: e.url, failingSince: e.failingSince, disabledAt: new Date(),
    }).catch((err: Error) => log.error({ endpointId: e.id, err: err.message }, 'webhook endpoint turned off, but its owner could not be told')) : undefined,
  });
  // Live chat: visitors nobody answered are offered a call-back and their owners told; old conversations deleted.
  const chat = startChatUpkeep({
    pool: c.pool, redis: c.redis, prefix: config.REDIS_PREFIX, log, config, intervalMs: config.CHAT_CHECK_INTERVAL_MS,
    notices: noticeHook,
    kickWebhook: createWebhookProducer(c.queue.client, config.REDIS_PREFIX).kick,
  });
  // Bull's consumer loop settles only when the queue closes; it rejects if its Redis connection closes first
  // (a shutdown racing a reconnect). That is an end of consuming, logged, never an unhandled rejection.
  const consumerEnded = (queue: string) => (err: Error) => log.warn({ queue, err: err.message }, 'queue consumer stopped');
  // Phone verification calls: their own queue and channel ids, on the same ARI connection.
  const verifier = new VerificationCaller({
    pool: c.pool, port, log, secret: config.SESSION_SECRET, callerId: config.VERIFICATION_CALLER_ID, destinations: operatorDestinations(config),
    endpointFor: (e164) => trunkEndpoint(config.TRUNK_ENDPOINT, e164), ringTimeoutSec: config.RING_TIMEOUT,
    ceiling, lines: createVerificationLimits(c.redis, config),
  });
  const verifications = createVerificationConsumer(redisTarget(config), config.REDIS_PREFIX);
  // Call-back jobs come from the shared queue and from this worker's node's own (calls that must ring on it).
  const nodeQueue = c.queue.forNode(config.ASTERISK_NODE);
  const callbackQueues = [c.queue.queue, nodeQueue];
  // Jobs are taken only while the ARI event socket is up: Asterisk hands a channel to this worker's app only
  // while it has a socket (an originate in the gap would ring unheard, and be hung up if answered). The pause is
  // local: jobs wait in Redis (or go to workers that are connected) until the socket is back.
  const gate = gateOnSocket(port, [...callbackQueues, verifications.queue], log);
  for (const [q, node] of [[c.queue.queue, null], [nodeQueue, config.ASTERISK_NODE]] as const) {
    q.process(config.WORKER_CONCURRENCY, async (job) => {
      const step = jobStep(job);
      // A job fetched as the socket went (the pause takes effect a moment later) goes back to its queue for a
      // worker with a socket, without an attempt; due a second from now, so a node with none does not spin on it.
      if (!gate.open) {
        await c.queue.redelay({ requestId: job.data.requestId, attempt: step.attempt }, Date.now() + 1000, node);
        return { result: 'handed back' };
      }
      // Each job names the step it is for: a stale one (redelivered after a restart) or an early one never dials.
      const result = await dialer.startAttempt(job.data.requestId, step);
      return { result };
    }).catch(consumerEnded(q.name));
  }
  verifications.queue.process(10, async (job) => ({ result: await verifier.call(job.data.verificationId) })).catch(consumerEnded('verifications'));
  log.info({ app, workerId: config.WORKER_ID, node: config.ASTERISK_NODE, ari: config.ARI_URL }, 'worker started');
  void checkPromptSounds(port, config, log).catch((err: Error) => log.warn({ err: err.message }, 'prompt sounds not checked'));

  return {
    dialer, port, ami,
    inboundApp: webcalls ? { holding: () => webcalls.inbound.holding, runOnce: () => webcalls.inbound.runOnce() } : null,
    recover: { calls: () => recovery.runOnce(), scheduled: () => scheduled.runOnce(), takeover: () => takeover.runOnce() },
    async stop(graceSec = config.SHUTDOWN_GRACE_SEC) {
      gate.stop();
      relay.stop();
      scheduled.stop();
      takeover.stop();
      dialer.drain();
      // Local pause: this worker takes no new jobs; jobs not started stay in Redis for other workers.
      await Promise.all(callbackQueues.map((q) => q.pause(true, true).catch(() => {})));
      await webhooks.stop();
      chat.stop();
      // The inbound app is given up before the grace period: web calls arriving from now on go to other workers.
      await webcalls?.inbound.stop();
      webcalls?.expiry.stop();
      const deadline = Date.now() + graceSec * 1000;
      while (dialer.activeCalls > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      if (dialer.activeCalls > 0) {
        log.warn({ calls: dialer.activeCalls }, 'grace period over; ending calls still in progress');
        await dialer.endAll();
      }
      await verifications.close();
      await notices?.stop();
      await verifier.stop();
      recovery.stop();
      await liveness.stop();
      await port.close();
      agentSide.stop();
      accounting.stop();
      cdrRetention.stop();
      await status.stop();
      await metricsServer?.close();
      ami.close();
    },
  };
}
