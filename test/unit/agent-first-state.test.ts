import test from 'ava';
import { agentFirstTransition, IllegalAgentFirstTransition, type AgentFirstEvent, type AgentFirstState } from '../../src/calls/flow/agent-first-state.ts';
import { transition } from '../../src/calls/flow/call-state.ts';

const up = { agentUp: true, visitorUp: true };

function run(events: AgentFirstEvent[]) {
  let state: AgentFirstState = 'offered';
  const ctx = { agentUp: false, visitorUp: false };
  const path: string[] = [];
  let last;
  for (const e of events) {
    if (e.type === 'agent.accepted') ctx.agentUp = true;
    if (e.type === 'callee.ended') ctx.agentUp = false;
    if (e.type === 'visitor.ended') ctx.visitorUp = false;
    last = agentFirstTransition(state, e, ctx);
    if (last.effects.some((x) => x.kind === 'originate_visitor')) ctx.visitorUp = true;
    if (last.effects.some((x) => x.kind === 'connect_visitor')) Object.assign(ctx, { bridged: true });
    state = last.to;
    path.push(state);
  }
  return { path, last: last! };
}

test('happy path: accept, agent answers, visitor dialed with progress to the agent, bridged', (t) => {
  const { path, last } = run([{ type: 'agent.accepted' }, { type: 'callee.answered' }, { type: 'visitor.answered' }, { type: 'visitor.ended', cause: 16, causeTxt: 'Normal Clearing' }]);
  t.deepEqual(path, ['agent_ringing', 'visitor_ringing', 'connected', 'ended']);
  t.is(last.outcome?.outcome, 'answered');
  t.is(last.offer, 'connected');
  t.deepEqual(last.effects.map((e) => e.kind), ['hangup_agent', 'destroy_bridge']);
  const t2 = agentFirstTransition('agent_ringing', { type: 'callee.answered' }, up);
  t.deepEqual(t2.effects.map((e) => e.kind), ['create_bridge_with_agent', 'play_progress', 'originate_visitor']);
});

test('declined in the console or offer timeout: nothing was dialed, the agent is skipped', (t) => {
  const d = agentFirstTransition('offered', { type: 'agent.declined' }, { agentUp: false, visitorUp: false });
  t.is(d.to, 'ended');
  t.is(d.offer, 'declined');
  t.is(d.outcome?.outcome, 'callee_unanswered');
  t.deepEqual(d.effects.map((e) => e.kind), ['destroy_bridge']);
  t.is(agentFirstTransition('offered', { type: 'offer.timeout' }, { agentUp: false, visitorUp: false }).offer, 'no_answer');
});

test("agent's phone busy / no answer / rejected read as offer outcomes", (t) => {
  const at = (cause: number) => agentFirstTransition('agent_ringing', { type: 'callee.ended', cause, causeTxt: 'x' }, { agentUp: true, visitorUp: false });
  t.is(at(17).offer, 'busy');
  t.is(at(19).offer, 'no_answer');
  t.is(at(21).offer, 'declined');
  t.is(at(34).offer, 'failed');
  t.deepEqual(at(17).effects.map((e) => e.kind), ['destroy_bridge']);
});

test('visitor does not answer: the agent is released and the attempt records the visitor outcome', (t) => {
  const r = agentFirstTransition('visitor_ringing', { type: 'visitor.ended', cause: 19, causeTxt: 'No answer' }, up);
  t.is(r.outcome?.outcome, 'no_answer');
  t.is(r.offer, 'visitor_unanswered');
  t.deepEqual(r.effects.map((e) => e.kind), ['hangup_agent', 'destroy_bridge']);
});

test('agent hangs up while the visitor rings: visitor leg hung up', (t) => {
  const r = agentFirstTransition('visitor_ringing', { type: 'callee.ended', cause: 16, causeTxt: 'Normal Clearing' }, up);
  t.deepEqual(r.effects.map((e) => e.kind), ['hangup_visitor', 'destroy_bridge']);
  t.is(r.outcome?.outcome, 'callee_unanswered');
});

test('abort: a bridged call counts as answered, a ringing or unbridged visitor as failed (retryable), earlier as canceled', (t) => {
  t.is(agentFirstTransition('connected', { type: 'abort', reason: 'shutdown' }, { ...up, bridged: true }).outcome?.outcome, 'answered');
  t.deepEqual(agentFirstTransition('connected', { type: 'abort', reason: 'asterisk error: connect_visitor: HTTP 500' }, up).outcome,
    { outcome: 'failed', cause: null, causeTxt: 'asterisk error: connect_visitor: HTTP 500' }, 'the bridge was never confirmed');
  t.is(agentFirstTransition('connected', { type: 'visitor.ended', cause: 16, causeTxt: 'Normal Clearing' }, up).outcome?.outcome, 'abandoned');
  t.is(agentFirstTransition('agent_ringing', { type: 'abort', reason: 'shutdown' }, { agentUp: true, visitorUp: false }).outcome?.outcome, 'canceled');
  t.is(agentFirstTransition('visitor_ringing', { type: 'abort', reason: 'shutdown' }, up).outcome?.outcome, 'failed', 'retryable: the visitor was being called');
});

test('nothing happens after the end', (t) => {
  t.throws(() => agentFirstTransition('ended', { type: 'agent.accepted' }, up), { instanceOf: IllegalAgentFirstTransition });
  t.throws(() => agentFirstTransition('offered', { type: 'visitor.answered' }, up), { instanceOf: IllegalAgentFirstTransition });
});

test('customer-first whisper: callee answered -> whisper -> connected when it finishes', (t) => {
  const ctx = { confirm: false, confirmKey: '1', optOutKey: null, whisper: true, visitorUp: true, calleeUp: true };
  const a = transition('callee_ringing', { type: 'callee.answered' }, ctx);
  t.is(a.to, 'callee_whisper');
  t.deepEqual(a.effects, [{ kind: 'whisper' }]);
  t.is(transition('callee_whisper', { type: 'prompt.finished', prompt: 'announce' }, ctx).to, 'callee_whisper');
  const b = transition('callee_whisper', { type: 'prompt.finished', prompt: 'whisper' }, ctx);
  t.is(b.to, 'connected');
  t.deepEqual(b.effects, [{ kind: 'connect_callee' }]);
  t.is(transition('callee_whisper', { type: 'visitor.ended', cause: 16, causeTxt: 'x' }, ctx).outcome?.outcome, 'abandoned');
  // Without whisper nothing changes.
  t.is(transition('callee_ringing', { type: 'callee.answered' }, { ...ctx, whisper: false }).to, 'connected');
});

const bridged = { agentUp: true, visitorUp: true, bridged: true };
const target = { agentId: '00000000-0000-4000-8000-000000000002', endpoint: 'PJSIP/b', name: 'B' };

test('transfer: the visitor held and the target rung; when it answers it takes the call over and the visitor is taken off hold', (t) => {
  const start = agentFirstTransition('connected', { type: 'agent.transfer', target }, bridged);
  t.is(start.to, 'transferring');
  t.deepEqual(start.effects.map((e) => e.kind), ['hold_visitor', 'originate_transfer']);
  const done = agentFirstTransition('transferring', { type: 'transfer.answered', leg: 'x' }, { ...bridged, transferUp: true });
  t.is(done.to, 'connected');
  t.true(done.tookOver);
  t.deepEqual(done.effects.map((e) => e.kind), ['take_over', 'unhold_visitor']);
  // A call not yet bridged is not handed on; nor one still ringing.
  t.deepEqual(agentFirstTransition('connected', { type: 'agent.transfer', target }, { agentUp: true, visitorUp: true }), { to: 'connected', effects: [] });
  t.throws(() => agentFirstTransition('visitor_ringing', { type: 'agent.transfer', target }, bridged), { instanceOf: IllegalAgentFirstTransition });
});

test('transfer: the target busy, not answering in time or refused: the visitor is back with the first agent, off hold', (t) => {
  const busy = agentFirstTransition('transferring', { type: 'transfer.ended', leg: 'x', cause: 17, causeTxt: 'User busy' }, bridged);
  t.is(busy.to, 'connected');
  t.true(busy.transferFailed);
  t.deepEqual(busy.effects.map((e) => e.kind), ['unhold_visitor']);
  // Timed out by us while still ringing: its leg is hung up first.
  const late = agentFirstTransition('transferring', { type: 'transfer.ended', leg: 'x', cause: 19, causeTxt: 'late' }, { ...bridged, transferUp: true });
  t.deepEqual(late.effects.map((e) => e.kind), ['hangup_transfer', 'unhold_visitor']);
  // The agent's own controls wait during the transfer; a late word about an old transfer changes nothing.
  t.deepEqual(agentFirstTransition('transferring', { type: 'agent.hold', on: false }, bridged), { to: 'transferring', effects: [] });
  t.deepEqual(agentFirstTransition('connected', { type: 'transfer.ended', leg: 'x', cause: 16, causeTxt: 'x' }, bridged), { to: 'connected', effects: [] });
});

test('transfer: the visitor hanging up during it ends the call answered and hangs up the target being rung', (t) => {
  const end = agentFirstTransition('transferring', { type: 'visitor.ended', cause: 16, causeTxt: 'Normal Clearing' }, { ...bridged, transferUp: true });
  t.is(end.to, 'ended');
  t.is(end.outcome?.outcome, 'answered');
  t.is(end.offer, 'connected');
  t.deepEqual(end.effects.map((e) => e.kind), ['hangup_transfer', 'hangup_agent', 'destroy_bridge']);
  t.is(agentFirstTransition('transferring', { type: 'abort', reason: 'max' }, { ...bridged, transferUp: true }).outcome?.outcome, 'answered');
});
