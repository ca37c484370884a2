import test from 'ava';
import { consolePhase } from '../../src/agents/console-state.ts';
import { phoneTargets } from '../../src/agents/transfer-targets.ts';
import { agentFirstTransition, IllegalAgentFirstTransition } from '../../src/calls/flow/agent-first-state.ts';

const now = new Date('2026-12-04T17:43:40Z');
const free = { status: 'available' as const, wrapUpUntil: null, reservedRequest: null };

test('a reserved agent is on its call whatever its stored status says', (t) => {
  const reserved = { ...free, reservedRequest: 'r1' };
  t.is(consolePhase(reserved, 'offered', now), 'offered');
  t.is(consolePhase(reserved, null, now), 'offered');
  t.is(consolePhase(reserved, 'agent_ringing', now), 'ringing');
  t.is(consolePhase(reserved, 'visitor_ringing', now), 'calling_visitor');
  t.is(consolePhase(reserved, 'connected', now), 'connected');
});

test('a wrap-up whose end has passed reads as available; one still running as wrap-up', (t) => {
  t.is(consolePhase({ ...free, status: 'wrap_up', wrapUpUntil: new Date('2026-12-04T17:43:36Z') }, null, now), 'available');
  t.is(consolePhase({ ...free, status: 'wrap_up', wrapUpUntil: new Date('2026-12-04T17:43:50Z') }, null, now), 'wrap_up');
  t.is(consolePhase({ ...free, status: 'away' }, null, now), 'away');
});

test('mute and hold keep a connected call connected, with their ARI effects; not allowed before it is', (t) => {
  const ctx = { agentUp: true, visitorUp: true };
  t.deepEqual(agentFirstTransition('connected', { type: 'agent.mute', on: true }, ctx), { to: 'connected', effects: [{ kind: 'mute_agent' }] });
  t.deepEqual(agentFirstTransition('connected', { type: 'agent.mute', on: false }, ctx), { to: 'connected', effects: [{ kind: 'unmute_agent' }] });
  t.deepEqual(agentFirstTransition('connected', { type: 'agent.hold', on: true }, ctx), { to: 'connected', effects: [{ kind: 'hold_visitor' }] });
  t.deepEqual(agentFirstTransition('connected', { type: 'agent.hold', on: false }, ctx), { to: 'connected', effects: [{ kind: 'unhold_visitor' }] });
  t.throws(() => agentFirstTransition('visitor_ringing', { type: 'agent.hold', on: true }, ctx), { instanceOf: IllegalAgentFirstTransition });
});

test('while transferring the agent is still on the call', (t) => {
  const held = { status: 'available' as const, wrapUpUntil: null, reservedRequest: '00000000-0000-4000-8000-000000000001' };
  t.is(consolePhase(held, 'transferring', new Date()), 'connected');
});

test('a call can be transferred to a department only when its phone is verified', (t) => {
  const d = { id: 'd1', subscriberId: 's', name: 'Sales', answeredBy: 'phone' as const, phoneE164: '+12025550122', phoneVerifiedAt: new Date(), position: 1 };
  t.deepEqual(phoneTargets([d, { ...d, id: 'd2', name: 'Billing', phoneVerifiedAt: null }, { ...d, id: 'd3', name: 'Desk', phoneE164: null }]),
    [{ kind: 'department', id: 'd1', label: 'Sales (phone)' }]);
});
