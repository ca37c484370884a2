import type { Dialer } from '../calls/dialer.ts';
import { AgentFirstSession } from '../calls/session/agent-first-session.ts';
import type { TelephonyPort } from '../telephony/telephony-port.ts';
import { periodic } from '../platform/periodic.ts';
import { redisTarget } from '../platform/redis.ts';
import { AgentChannels } from './agent-channels.ts';
import { AgentCallService, type AgentSideParts } from './agent-call.service.ts';
import { DeviceStateTracker, trunkDevice, type AmiSource } from './device-state.ts';
import {
  assignedSubscriberIds, findAgent, markOfferDeclined, releaseReservationsOf, releaseStaleReservations, releaseTransferTarget, reserveTransferTarget,
  setCallControls, settleExpiredWrapUps,
} from './agent.repository.ts';
import { findRequest } from '../requests/callback.repository.ts';
import { isReachable } from './routing.ts';
import type { AgentCommand } from './agent.types.ts';

export interface AgentWorker {
  service: AgentCallService;
  devices: DeviceStateTracker;
  /** Starts listening for console commands and device states once the dialer exists. */
  attach(dialer: Dialer, port: TelephonyPort, ami: AmiSource): Promise<void>;
  stop(): void;
}

/**
 * The agent side of a worker process. Reservations this worker held before a restart are released first
 * (its calls died with it); then console commands for its calls arrive on its own Redis channel.
 */
export async function createAgentWorker(c: AgentSideParts): Promise<AgentWorker> {
  const { config, log } = c;
  const channels = new AgentChannels(c.redis, redisTarget(config), config.REDIS_PREFIX);
  const service = new AgentCallService({
    pool: c.pool, redis: c.redis, queue: c.queue, bus: c.bus, channels, log: log.child({ component: 'agents' }), config, workerId: config.WORKER_ID,
  });
  const released = await releaseReservationsOf(c.pool, config.WORKER_ID);
  if (released) log.warn({ released }, 'released agent reservations left by a previous run of this worker');
  const trunk = trunkDevice(config.TRUNK_ENDPOINT);
  const devices = new DeviceStateTracker({
    pool: c.pool, log, ignore: trunk ? [trunk] : [], node: config.ASTERISK_NODE,
    onChange: (agentIds, state) => {
      for (const id of agentIds) void channels.publishToAgent(id, { type: 'queue', at: new Date().toISOString() });
      // A phone that came back may take a waiting request now rather than at the next poll.
      if (isReachable(state)) {
        void Promise.all(agentIds.map((id) => assignedSubscriberIds(c.pool, id))).then((lists) => service.wakeWaiting([...new Set(lists.flat())]));
      }
    },
  });
  let unsubscribe: (() => void) | null = null;
  // Longest a reservation can legitimately last: offer, two rings, the longest call, and slack.
  const maxReservationSec = config.AGENT_OFFER_TIMEOUT_SEC + 2 * config.RING_TIMEOUT + config.MAX_CALL_SEC + 60;
  const sweeper = periodic({
    name: 'stale agent reservations', intervalMs: 30_000, log, idle: undefined,
    run: async () => {
      const freed = await releaseStaleReservations(c.pool, maxReservationSec);
      if (freed.length) log.warn({ agents: freed }, 'released stale agent reservations');
    },
  });
  // Wrap-ups end on time by themselves: the end is stored, so this pass (every worker, every second) frees them
  // after a restart too; the console is told and requests waiting for an agent get their try.
  const wrapUps = periodic({
    name: 'wrap-up ends', intervalMs: 1000, log, idle: undefined, failLevel: 'debug',
    run: async () => {
      const freed = await settleExpiredWrapUps(c.pool);
      if (!freed.length) return;
      const at = new Date().toISOString();
      for (const id of freed) void channels.publishToAgent(id, { type: 'status', status: 'available', at });
      const lists = await Promise.all(freed.map((id) => assignedSubscriberIds(c.pool, id)));
      await service.wakeWaiting([...new Set(lists.flat())]);
    },
  });

  return {
    service, devices,
    async attach(dialer, port, ami) {
      devices.attach(ami);
      unsubscribe = await channels.onCommand(config.WORKER_ID, (cmd) => {
        void handleCommand(cmd).catch((err) => log.warn({ err: (err as Error).message, cmd }, 'agent command failed'));
      });
      async function handleCommand(cmd: AgentCommand): Promise<void> {
        const agent = await findAgent(c.pool, cmd.agentId);
        // Only the agent holding this call may steer it.
        // (A transfer target being rung has the attempt but not the request yet: not its call until it answers.)
        if (!agent || agent.reservedAttempt !== cmd.attemptId || !agent.reservedRequest) return;
        const session = dialer.sessions.get(cmd.attemptId);
        if (!session) return;
        const ids = session.ids;
        if (cmd.type === 'accept') {
          if (session instanceof AgentFirstSession) await session.dispatch({ type: 'agent.accepted' });
          return;
        }
        if (cmd.type === 'mute' || cmd.type === 'unmute' || cmd.type === 'hold' || cmd.type === 'unhold') {
          // Only on a call in progress; the console offers these buttons only then.
          if (!(session instanceof AgentFirstSession) || session.state !== 'connected') return;
          const on = cmd.type === 'mute' || cmd.type === 'hold';
          await session.dispatch(cmd.type === 'mute' || cmd.type === 'unmute' ? { type: 'agent.mute', on } : { type: 'agent.hold', on });
          await setCallControls(c.pool, agent.id, cmd.attemptId, { muted: session.muted, held: session.held });
          const at = new Date().toISOString();
          const requestId = session.target.requestId;
          void channels.publishToAgent(agent.id, { type: 'controls', requestId, muted: session.muted, held: session.held, at });
          // The visitor's side (status stream, widget) hears of the hold too.
          if (cmd.type === 'hold' || cmd.type === 'unhold') void c.bus.publish({ type: 'attempt.updated', requestId, phase: session.held ? 'on_hold' : 'connected', at });
          return;
        }
        if (cmd.type === 'transfer') {
          if (!(session instanceof AgentFirstSession) || session.state !== 'connected' || session.transfer) return;
          const request = await findRequest(c.pool, session.target.requestId);
          if (!request) return;
          if (cmd.target.kind === 'department') {
            // A department's phone: checked verified and allowed right before it is rung, like any callee phone.
            const phone = await dialer.phoneTransferTarget(request.subscriberId, cmd.target.id);
            if ('refused' in phone) {
              log.warn({ attemptId: cmd.attemptId, department: cmd.target.id, reason: phone.refused }, 'transfer to a department refused');
              return;
            }
            await session.dispatch({ type: 'agent.transfer', target: { agentId: null, ...phone } });
            return;
          }
          // The target is reserved for this call first (never double-booked); the session rings it.
          const target = await reserveTransferTarget(c.pool, { agentId: cmd.target.id, subscriberId: request.subscriberId, attemptId: cmd.attemptId, workerId: config.WORKER_ID });
          if (!target) {
            log.info({ attemptId: cmd.attemptId, target: cmd.target.id }, 'transfer target no longer available');
            return;
          }
          await session.dispatch({ type: 'agent.transfer', target: { agentId: target.id, endpoint: target.endpoint, name: target.name } });
          // Not taken up (the call moved on meanwhile): the target is free again (a no-op once it holds the call).
          const after: AgentFirstSession = session;
          if (after.state !== 'transferring' && after.transfer?.agentId !== target.id) await releaseTransferTarget(c.pool, target.id, cmd.attemptId);
          return;
        }
        if (cmd.type === 'decline') await markOfferDeclined(c.pool, agent.id, cmd.attemptId);
        if (session instanceof AgentFirstSession && (cmd.type === 'decline' || session.state === 'offered')) {
          await session.dispatch({ type: 'agent.declined' });
          return;
        }
        // Hanging up the agent's leg ends the call the same way as the agent putting the phone down.
        await port.hangup(ids.callee);
      }
    },
    stop() {
      sweeper.stop();
      wrapUps.stop();
      unsubscribe?.();
      devices.stop();
      channels.close();
    },
  };
}
