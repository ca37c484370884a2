import test from 'ava';
import { CALL_LEG_STARTS, IllegalTransition, transition, type CallEvent, type CallState } from '../../src/calls/flow/call-state.ts';
import {
  AGENT_FIRST_LEG_STARTS, agentFirstTransition, IllegalAgentFirstTransition, type AgentFirstEvent, type AgentFirstState,
} from '../../src/calls/flow/agent-first-state.ts';

// Call records and billing count each leg's time from the transition stored as starting it (leg_started, from the
// flows' per-state declarations). The declarations must say exactly where each machine originates a leg.

const CALL_STATES: CallState[] = ['visitor_ringing', 'visitor_confirming', 'callee_ringing', 'callee_whisper', 'connected', 'ended'];
const CALL_EVENTS: CallEvent[] = [
  { type: 'originate.failed', status: 500 }, { type: 'visitor.answered' }, { type: 'visitor.ended', cause: 16, causeTxt: 'x' },
  { type: 'visitor.dtmf', digit: '1' }, { type: 'visitor.dtmf', digit: '9' }, { type: 'prompt.finished', prompt: 'confirm' },
  { type: 'prompt.finished', prompt: 'announce' }, { type: 'prompt.finished', prompt: 'whisper' }, { type: 'confirm.timeout' },
  { type: 'confirm.ask_again' }, { type: 'callee.originate_failed', status: 500 }, { type: 'callee.refused', reason: 'x' },
  { type: 'callee.answered' }, { type: 'callee.ended', cause: 16, causeTxt: 'x' }, { type: 'abort', reason: 'x' },
];

test('visitor-first: a transition starts the callee leg exactly when it originates the callee; the visitor leg only at the claim', (t) => {
  let seen = 0;
  for (const state of CALL_STATES) {
    for (const event of CALL_EVENTS) {
      for (const confirm of [true, false]) {
        for (const whisper of [true, false]) {
          let tr;
          try {
            tr = transition(state, event, { confirm, confirmKey: '1', optOutKey: '9', whisper, visitorUp: true, calleeUp: state !== 'visitor_ringing', bridged: true });
          } catch (err) {
            if (err instanceof IllegalTransition) continue;
            throw err;
          }
          seen++;
          const originates = tr.effects.some((e) => e.kind === 'originate_callee');
          const entered = tr.to !== state;
          t.is(entered && CALL_LEG_STARTS[tr.to] === 'callee', originates, `${state} --${event.type}--> ${tr.to}`);
          t.not(entered && tr.to === 'visitor_ringing', true, 'visitor_ringing is only the first state');
        }
      }
    }
  }
  t.true(seen > 20);
  t.is(CALL_LEG_STARTS.visitor_ringing, 'visitor', 'the claim stores the first state, and the session dials the visitor right after');
});

const AF_STATES: AgentFirstState[] = ['offered', 'agent_ringing', 'visitor_ringing', 'connected', 'transferring', 'ended'];
const AF_EVENTS: AgentFirstEvent[] = [
  ...CALL_EVENTS, { type: 'agent.accepted' }, { type: 'agent.declined' }, { type: 'offer.timeout' }, { type: 'visitor.refused', reason: 'x' },
  { type: 'agent.mute', on: true }, { type: 'agent.hold', on: true }, { type: 'agent.transfer', target: { agentId: 'a', endpoint: 'PJSIP/a', name: 'A' } },
  { type: 'transfer.answered', leg: 'l' }, { type: 'transfer.ended', leg: 'l', cause: 17, causeTxt: 'x' },
];

test('agent-first: a transition starts a leg exactly when it originates the agent (callee) or the visitor', (t) => {
  let seen = 0;
  for (const state of AF_STATES) {
    for (const event of AF_EVENTS) {
      for (const bridged of [true, false]) {
        let tr;
        try {
          tr = agentFirstTransition(state, event, { agentUp: state !== 'offered', visitorUp: state === 'connected' || state === 'transferring', bridged, transferUp: state === 'transferring' });
        } catch (err) {
          if (err instanceof IllegalAgentFirstTransition) continue;
          throw err;
        }
        seen++;
        const entered = tr.to !== state;
        const label = `${state} --${event.type}--> ${tr.to}`;
        t.is(entered && AGENT_FIRST_LEG_STARTS[tr.to] === 'callee', tr.effects.some((e) => e.kind === 'originate_agent'), label);
        t.is(entered && AGENT_FIRST_LEG_STARTS[tr.to] === 'visitor', tr.effects.some((e) => e.kind === 'originate_visitor'), label);
      }
    }
  }
  t.true(seen > 20);
  t.is(AGENT_FIRST_LEG_STARTS.offered, undefined, 'the claim\'s first state rings nobody: the agent is offered the call first');
});
