import type { Logger } from '../platform/logger.ts';
import type { Pool } from '../platform/db/pool.ts';
import type { Config } from '../platform/config.ts';
import type { CallbackQueue } from '../platform/queue/callback-queue.ts';
import type { EventBus } from '../platform/event-bus.ts';
import type { StrandedRequest } from '../requests/callback.repository.ts';
import type { TelephonyPort } from '../telephony/telephony-port.ts';
import type { CallCeiling } from '../policy/call-ceiling.ts';
import { operatorDestinations } from '../policy/destination-policy.ts';
import type { AttemptRow } from './attempt.repository.ts';
import { createDialStore } from './session/dial-store.ts';
import { CallSession } from './session/call-session.ts';
import type { AgentDesk, AttemptEndListener, CalleeDirectory, OptOutSink } from './ports.ts';
import { SessionRegistry } from './session-registry.ts';
import { SessionFactory } from './session-factory.ts';
import { AttemptStarter } from './attempt-starter.ts';
import { EventRouter } from './event-router.ts';
import { Settler } from './settle.ts';
import { Resumer } from './resume.ts';
import { LegChecks } from './leg-checks.ts';
import { WebCallStarter, type WebCallRefusal } from './web-call-starter.ts';
import type { TelephonyEvent } from '../telephony/telephony-port.ts';

export interface DialerDeps {
  pool: Pool;
  port: TelephonyPort;
  queue: CallbackQueue;
  bus: EventBus;
  log: Logger;
  config: Config;
  workerId: string;
  /** Told after an attempt's final state is stored (call records, metrics). */
  attemptEnds?: AttemptEndListener;
  /** Where the visitor's opt-out key goes (the do-not-call list). */
  optOuts?: OptOutSink;
  /** Who answers on the subscriber's side when no agent does; absent: the department's phone, else the subscriber's. */
  callees?: CalleeDirectory;
  /** Call-center agents (src/agents): requests of subscribers/departments answered by agents go through them. */
  agents?: AgentDesk;
  /** Calls per visitor number across the installation (src/policy/call-ceiling.ts); absent = no ceiling. */
  ceiling?: CallCeiling;
}

/**
 * The calls room as the worker sees it: starts attempts for queue jobs (attempt-starter.ts), routes telephony
 * events to their sessions (event-router.ts), rebuilds calls left in flight (resume.ts) and settles requests
 * after their attempts (settle.ts). The live sessions are in `sessions` (session-registry.ts).
 */
export class Dialer {
  readonly sessions: SessionRegistry;
  private readonly starter: AttemptStarter;
  private readonly settler: Settler;
  private readonly resumer: Resumer;
  private readonly checks: LegChecks;
  private readonly webCalls: WebCallStarter;
  private readonly router: EventRouter;

  constructor(deps: DialerDeps) {
    const { pool, port, queue, bus, log, config } = deps;
    const destinations = operatorDestinations(config);
    // How long a failed write (a call's state, a request's move after an attempt) is retried.
    const writeRetryMs = config.CALL_WRITE_RETRY_SEC * 1000;
    // The statements of concurrent calls share round trips (dial-store.ts).
    const store = createDialStore(pool);
    const record = store.record;
    const trunk = config.TRUNK_ENDPOINT;
    this.sessions = new SessionRegistry(log);
    this.settler = new Settler({ pool, store, queue, bus, log, writeRetryMs, agents: deps.agents });
    this.checks = new LegChecks({ pool, store, destinations, trunk });
    const factory = new SessionFactory({
      pool, port, bus, log, config, record, writeRetryMs, registry: this.sessions, settler: this.settler, checks: this.checks,
      attemptEnds: deps.attemptEnds, optOuts: deps.optOuts, agents: deps.agents,
    });
    this.starter = new AttemptStarter({
      store, queue, bus, log, workerId: deps.workerId, trunk, destinations, registry: this.sessions, factory, settler: this.settler,
      callees: deps.callees, agents: deps.agents, ceiling: deps.ceiling,
    });
    this.resumer = new Resumer({ pool, port, log, store, record, registry: this.sessions, factory, settler: this.settler, agents: deps.agents });
    this.webCalls = new WebCallStarter({
      store, port, bus, log, config, workerId: deps.workerId, destinations, registry: this.sessions, settler: this.settler, checks: this.checks,
      session: { pool, port, log, record, writeRetryMs }, callees: deps.callees, agents: deps.agents, attemptEnds: deps.attemptEnds,
    });
    const router = new EventRouter(this.sessions, bus);
    this.router = router;
    port.onEvent((e) => router.route(e));
  }

  get activeCalls(): number { return this.sessions.count; }

  /** Stops taking new attempts (SIGTERM); calls in progress go on. */
  drain(): void { this.starter.drain(); }

  /** Dials a request for a queue job (`job`: the step it is for) or directly; see AttemptStarter.start. */
  startAttempt(requestId: string, job?: { attempt: number | null }): Promise<'dialed' | 'skipped' | 'stale' | 'early'> {
    return this.starter.start(requestId, job);
  }

  /** Starts a web call whose browser channel is in this worker's app (see WebCallStarter.start). */
  startWebCall(requestId: string, browserChannelId: string): Promise<'started' | WebCallRefusal> {
    return this.webCalls.start(requestId, browserChannelId);
  }

  /**
   * Routes an event heard on another socket of this worker (the shared inbound app, for a web call whose move to
   * a worker's app failed and that runs here in the inbound app) as if it came on this worker's own.
   */
  route(e: TelephonyEvent): void { this.router.route(e); }

  /** Rebuilds an attempt in flight that has no session here (see Resumer.resume). */
  resume(a: AttemptRow, legs: { visitorUp: boolean; calleeUp: boolean }): Promise<CallSession | null> {
    return this.resumer.resume(a, legs);
  }

  /** Moves a request left in flight after its last attempt ended (see Settler.stranded). */
  settleStranded(s: StrandedRequest): Promise<boolean> { return this.settler.stranded(s); }

  /** A department's phone as a transfer target, checked right before it is rung (see LegChecks). */
  phoneTransferTarget(subscriberId: string, departmentId: string): Promise<{ endpoint: string; name: string } | { refused: string }> {
    return this.checks.phoneTransferTarget(subscriberId, departmentId);
  }

  /**
   * Ends every live call (shutdown after the grace period). Lost, not abandoned: the visitor has not been
   * connected, so the retry policy calls again (any worker).
   */
  async endAll(): Promise<void> {
    await Promise.all(this.sessions.list().map((s) => (s instanceof CallSession
      ? s.lose('worker shut down before the call ended')
      : s.dispatch({ type: 'abort', reason: 'worker shutting down' }))));
  }
}
