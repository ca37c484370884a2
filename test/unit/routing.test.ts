import test from 'ava';
import { agentRoutingFrom, effectiveStatus, isFirstInLine, isReachable, pickAgent, type RoutableAgent } from '../../src/agents/routing.ts';

const now = new Date('2026-01-01T12:00:00Z');
const ago = (s: number) => new Date(now.getTime() - s * 1000);
const agent = (id: string, o: Partial<RoutableAgent> = {}): RoutableAgent => ({
  id, status: 'available', wrapUpUntil: null, deviceState: 'NOT_INUSE', idleSince: ago(10), active: true, reservedRequest: null, departmentIds: [], ...o,
});
const ctx = { departmentId: null, excluded: new Set<string>(), now };

test('longest idle available agent wins', (t) => {
  t.is(pickAgent([agent('a', { idleSince: ago(5) }), agent('b', { idleSince: ago(50) }), agent('c', { idleSince: ago(20) })], ctx)?.id, 'b');
});

test('ties go to the lower id, so every worker picks the same agent', (t) => {
  t.is(pickAgent([agent('b'), agent('a')], ctx)?.id, 'a');
});

test('away, reserved, inactive, excluded and unreachable agents are skipped', (t) => {
  const list = [
    agent('away', { status: 'away', idleSince: ago(100) }),
    agent('busy', { reservedRequest: 'r1', idleSince: ago(99) }),
    agent('off', { active: false, idleSince: ago(98) }),
    agent('declined', { idleSince: ago(97) }),
    agent('unreg', { deviceState: 'UNAVAILABLE', idleSince: ago(96) }),
    agent('inuse', { deviceState: 'INUSE', idleSince: ago(95) }),
    agent('ok', { idleSince: ago(1) }),
  ];
  t.is(pickAgent(list, { ...ctx, excluded: new Set(['declined']) })?.id, 'ok');
  t.is(pickAgent(list.slice(0, 6), { ...ctx, excluded: new Set(['declined']) }), null);
});

test('wrap-up blocks offers until it is over', (t) => {
  t.is(effectiveStatus({ status: 'wrap_up', wrapUpUntil: new Date(now.getTime() + 1000) }, now), 'wrap_up');
  t.is(effectiveStatus({ status: 'wrap_up', wrapUpUntil: ago(1) }, now), 'available');
  t.is(effectiveStatus({ status: 'wrap_up', wrapUpUntil: null }, now), 'wrap_up', 'no end time: stays in wrap-up until the agent says otherwise');
  t.is(pickAgent([agent('w', { status: 'wrap_up', wrapUpUntil: new Date(now.getTime() + 1000) })], ctx), null);
  t.is(pickAgent([agent('w', { status: 'wrap_up', wrapUpUntil: ago(1) })], ctx)?.id, 'w');
});

test('department-limited agents take only their departments', (t) => {
  const sales = agent('sales', { departmentIds: ['d-sales'], idleSince: ago(100) });
  const any = agent('any', { idleSince: ago(1) });
  t.is(pickAgent([sales, any], { ...ctx, departmentId: 'd-sales' })?.id, 'sales');
  t.is(pickAgent([sales, any], { ...ctx, departmentId: 'd-support' })?.id, 'any');
  t.is(pickAgent([sales, any], ctx)?.id, 'any');
});

test('device states that rule an agent out', (t) => {
  for (const s of ['UNAVAILABLE', 'INVALID', 'INUSE', 'BUSY', 'RINGING', 'RINGINUSE', 'ONHOLD']) t.false(isReachable(s), s);
  for (const s of ['NOT_INUSE', 'UNKNOWN', 'not_inuse']) t.true(isReachable(s), s);
});

test('first come, first served among waiting requests', (t) => {
  const waiting = [{ requestId: 'old', since: ago(30) }, { requestId: 'new', since: ago(5) }];
  t.true(isFirstInLine(waiting, 'old', ago(30)));
  t.false(isFirstInLine(waiting, 'new', ago(5)));
  t.false(isFirstInLine(waiting, 'fresh', now), 'a request not yet waiting queues behind those that are');
  t.true(isFirstInLine([], 'fresh', now));
});

test('routing settings: defaults, per department, and validation', (t) => {
  t.deepEqual(agentRoutingFrom({}, null), { byAgents: false, mode: 'agent_first', waitSec: 300, fallback: 'reschedule' });
  t.true(agentRoutingFrom({}, { answeredBy: 'agents' }).byAgents);
  t.true(agentRoutingFrom({ answeredBy: 'agents' }, { answeredBy: 'phone' }).byAgents);
  t.deepEqual(agentRoutingFrom({ answeredBy: 'agents', agents: { mode: 'customer_first', waitSec: 30, fallback: 'phone' } }, null),
    { byAgents: true, mode: 'customer_first', waitSec: 30, fallback: 'phone' });
  t.deepEqual(agentRoutingFrom({ agents: { mode: 'bogus', waitSec: -1, fallback: 'x' } }, null), { byAgents: false, mode: 'agent_first', waitSec: 300, fallback: 'reschedule' });
});
