import { randomUUID } from 'node:crypto';
import type { Logger } from '../platform/logger.ts';
import type { Config } from '../platform/config.ts';
import type { EventBus } from '../platform/event-bus.ts';
import type { TelephonyPort } from '../telephony/telephony-port.ts';
import type { OperatorDestinations } from '../policy/destination-policy.ts';
import { partiesOf, type DialStore } from './session/dial-store.ts';
import { calleeLegId } from './session/call-ids.ts';
import type { SessionDeps } from './session/serial-session.ts';
import { WebCallSession } from './session/web-call-session.ts';
import { agentCallee, calleeVerdict, phoneCallee, type CalleeTarget } from './flow/dial-decision.ts';
import { callerId } from './flow/dial-strings.ts';
import { offerOutcomeOf } from './flow/offer-outcome.ts';
import type { AgentDesk, AttemptEndListener, CalleeDirectory, DialParties, OfferedAgent } from './ports.ts';
import type { SessionRegistry } from './session-registry.ts';
import type { Settler } from './settle.ts';
import type { LegChecks } from './leg-checks.ts';

export interface WebCallStarterDeps {
  store: DialStore;
  port: TelephonyPort;
  bus: EventBus;
  log: Logger;
  config: Pick<Config, 'RING_TIMEOUT' | 'MAX_CALL_SEC' | 'WEBCALL_RINGBACK_MEDIA' | 'TRUNK_ENDPOINT'>;
  workerId: string;
  destinations: OperatorDestinations;
  registry: SessionRegistry;
  settler: Settler;
  checks: LegChecks;
  session: SessionDeps;
  callees?: CalleeDirectory;
  agents?: AgentDesk;
  attemptEnds?: AttemptEndListener;
}

/** The request-status reason of a web call refused before anything rang. */
export type WebCallRefusal = { refused: string };

/**
 * Starts a web call on this worker: the browser's channel (`browserChannelId`, already in this worker's Stasis app)
 * belongs to `requestId`, whose ticket was redeemed. The callee is chosen exactly as a call-back's second leg (an
 * agent by the agent desk's routing, else the department's or subscriber's phone, checked by calleeVerdict and
 * again right before it rings); the request is claimed with an attempt of flow `web_inbound` in one statement,
 * then the session rings the browser with ringback as early media and rings the callee, answering the browser when the callee answers. Nothing about the callee comes from the
 * browser. A request that cannot be called (gone, not a waiting web call, nobody to answer) hangs the browser up.
 */
export class WebCallStarter {
  constructor(private readonly deps: WebCallStarterDeps) {}

  async start(requestId: string, browserChannelId: string): Promise<'started' | WebCallRefusal> {
    const { store, log, port } = this.deps;
    const found = await store.load(requestId);
    const refuse = async (why: string, fail: boolean): Promise<WebCallRefusal> => {
      log.warn({ requestId, channelId: browserChannelId, reason: why }, 'web call refused');
      await port.hangup(browserChannelId, 'normal').catch((err: Error) => log.warn({ err: err.message }, 'web call not hung up'));
      if (fail) await this.deps.settler.move(requestId, ['queued'], 'failed', why);
      return { refused: why };
    };
    if (!found || found.request.kind !== 'webcall') return refuse('not a web call', false);
    if (found.request.status !== 'queued') return refuse(`web call already ${found.request.status}`, false);
    const { request } = found;
    const { subscriber, department } = partiesOf(found);
    if (!subscriber) return refuse('the subscriber no longer exists', false);
    if (subscriber.status !== 'active') return refuse('subscriber suspended', true);
    const parties: DialParties = { request, subscriber, department };
    const attemptId = randomUUID();
    const agent = await this.reserveAgent(parties, attemptId);
    if (agent === 'none_free') return refuse('no agent free to take the web call', true);
    const asked: CalleeTarget | null = agent ? agentCallee(agent)
      : this.deps.callees ? await this.deps.callees.resolve(parties)
      : phoneCallee(this.deps.config.TRUNK_ENDPOINT, subscriber, department);
    const ring = calleeVerdict(asked, subscriber, department, this.deps.destinations);
    if (ring.verdict === 'close') {
      if (agent) await this.agentFree(agent, requestId, 'canceled');
      return refuse(ring.reason, true);
    }
    const { callee } = ring;
    const claimed = await store.claim({
      id: attemptId, requestId, flow: 'web_inbound', state: 'browser_arrived', workerId: this.deps.workerId,
      visitorChannelId: browserChannelId, calleeChannelId: calleeLegId(attemptId, 1), bridgeId: `bk-b-${attemptId}`,
      calleeKind: callee.kind, calleeEndpoint: callee.endpoint,
    });
    if (claimed === null) {
      if (agent) await this.agentFree(agent, requestId, 'canceled');
      return refuse('web call claimed elsewhere', false);
    }
    if (agent) this.deps.agents!.offerReady({ agentId: agent.id, requestId, attemptId, mode: 'customer_first' });
    const session: WebCallSession = new WebCallSession(
      {
        attemptId, requestId, browserChannelId, calleeEndpoint: callee.endpoint, accountCode: subscriber.slug,
        calleeCallerId: callerId(`Web: ${request.visitorName ?? 'visitor'}`, ''),
      },
      { ringTimeoutSec: this.deps.config.RING_TIMEOUT, maxCallSec: this.deps.config.MAX_CALL_SEC, ringbackMedia: this.deps.config.WEBCALL_RINGBACK_MEDIA.split(',') },
      this.deps.session,
      {
        ended: async (outcome) => {
          if (agent) await this.agentFree(agent, requestId, offerOutcomeOf(outcome));
          this.deps.registry.remove(attemptId, session);
          await this.deps.settler.webCallEnded(requestId, outcome);
          await this.deps.attemptEnds?.attemptEnded({ attemptId, requestId, outcome });
        },
        phase: (phase) => {
          void this.deps.bus.publish({ type: 'attempt.updated', requestId, phase, at: new Date().toISOString() });
          if (phase === 'connected') void this.deps.settler.connected(requestId);
        },
        ...(callee.kind === 'phone' ? { calleeRefusal: () => this.deps.checks.calleeNow(requestId, callee.endpoint) } : {}),
      },
    );
    this.deps.registry.add(attemptId, session, agent ? () => this.agentFree(agent, requestId, 'canceled') : undefined);
    void this.deps.bus.publish({ type: 'request.status', requestId, status: 'dialing', at: new Date().toISOString() });
    // The browser's events reach the session only from here on: a hang-up while the call was being set up (the
    // request loaded, an agent reserved, the attempt claimed) found no session and went nowhere. Asked once now,
    // so a callee is never rung for a browser that has left; a hang-up from now on reaches the session.
    if (!(await port.channelExists(browserChannelId))) {
      log.info({ requestId, attemptId, channelId: browserChannelId }, 'web call: the browser left during set-up');
      await session.dispatch({ type: 'browser.left', cause: 16, causeTxt: 'browser hung up during set-up' });
      return 'started';
    }
    log.info({ requestId, attemptId, channelId: browserChannelId, callee: callee.kind }, 'web call started');
    await session.start();
    return 'started';
  }

  /**
   * An agent for the call when the subscriber's calls are answered by agents (the agent desk's plan: longest idle,
   * device state, reservation), null when they are not, `none_free` when nobody is free now: the browser is on
   * the line and cannot be kept waiting for a later turn.
   */
  private async reserveAgent(parties: DialParties, attemptId: string): Promise<OfferedAgent | null | 'none_free'> {
    const agents = this.deps.agents;
    if (!agents) return null;
    const plan = await agents.plan({ ...parties, attemptId });
    if (plan.kind === 'agent_first' || plan.kind === 'customer_first') return plan.agent;
    return plan.kind === 'wait' ? 'none_free' : null;
  }

  private async agentFree(agent: OfferedAgent, requestId: string, outcome: ReturnType<typeof offerOutcomeOf>): Promise<void> {
    await this.deps.agents?.offerEnded({ agentId: agent.id, requestId, outcome }).catch((err: Error) => this.deps.log.error({ err: err.message, requestId }, 'agent release failed'));
  }
}
