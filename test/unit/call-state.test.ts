import test from 'ava';
import { IllegalTransition, outcomeForUnansweredCause, transition, type CallContext } from '../../src/calls/flow/call-state.ts';

const ctx = (over: Partial<CallContext> = {}): CallContext => ({ confirm: true, confirmKey: '1', optOutKey: '9', visitorUp: true, calleeUp: false, ...over });
const kinds = (effects: { kind: string }[]) => effects.map((e) => e.kind);

test('Q.850 causes map to outcomes as recorded from Asterisk', (t) => {
  t.is(outcomeForUnansweredCause(17), 'busy');
  t.is(outcomeForUnansweredCause(19), 'no_answer');
  t.is(outcomeForUnansweredCause(18), 'no_answer');
  t.is(outcomeForUnansweredCause(21), 'rejected');
  t.is(outcomeForUnansweredCause(1), 'failed');
  t.is(outcomeForUnansweredCause(34), 'failed');
});

test('busy visitor ends the attempt without touching anything else', (t) => {
  const r = transition('visitor_ringing', { type: 'visitor.ended', cause: 17, causeTxt: 'User busy' }, ctx({ visitorUp: false }));
  t.is(r.to, 'ended');
  t.deepEqual(r.outcome, { outcome: 'busy', cause: 17, causeTxt: 'User busy' });
  t.deepEqual(r.effects, []);
});

test('answered visitor is bridged and asked for the confirm key', (t) => {
  const r = transition('visitor_ringing', { type: 'visitor.answered' }, ctx());
  t.is(r.to, 'visitor_confirming');
  t.true(r.visitorAnswered);
  t.deepEqual(kinds(r.effects), ['answer_visitor', 'create_bridge_with_visitor', 'play']);
});

test('without confirmation the callee is rung at once with an announcement', (t) => {
  const r = transition('visitor_ringing', { type: 'visitor.answered' }, ctx({ confirm: false }));
  t.is(r.to, 'callee_ringing');
  t.deepEqual(kinds(r.effects), ['answer_visitor', 'create_bridge_with_visitor', 'play', 'originate_callee']);
  const after = transition('callee_ringing', { type: 'prompt.finished', prompt: 'announce' }, ctx({ confirm: false, calleeUp: true }));
  t.deepEqual(kinds(after.effects), ['start_moh']);
});

test('confirm key rings the callee; other keys are ignored; opt-out key ends and records opt-out', (t) => {
  t.deepEqual(kinds(transition('visitor_confirming', { type: 'visitor.dtmf', digit: '1' }, ctx()).effects), ['stop_prompt', 'start_moh', 'originate_callee']);
  t.is(transition('visitor_confirming', { type: 'visitor.dtmf', digit: '5' }, ctx()).to, 'visitor_confirming');
  const out = transition('visitor_confirming', { type: 'visitor.dtmf', digit: '9' }, ctx());
  t.is(out.to, 'ended');
  t.deepEqual(kinds(out.effects), ['opt_out', 'hangup_visitor', 'destroy_bridge']);
});

test('no key after the prompt is no_human and hangs up the visitor', (t) => {
  const waiting = transition('visitor_confirming', { type: 'prompt.finished', prompt: 'confirm' }, ctx());
  t.deepEqual(kinds(waiting.effects), ['start_confirm_timer']);
  const r = transition('visitor_confirming', { type: 'confirm.timeout' }, ctx());
  t.is(r.outcome?.outcome, 'no_human');
  t.deepEqual(kinds(r.effects), ['hangup_visitor', 'destroy_bridge']);
});

test('callee answering connects; once bridged, either side hanging up ends answered with the other hung up', (t) => {
  t.deepEqual(kinds(transition('callee_ringing', { type: 'callee.answered' }, ctx({ calleeUp: true })).effects), ['connect_callee']);
  const v = transition('connected', { type: 'visitor.ended', cause: 16, causeTxt: 'Normal Clearing' }, ctx({ visitorUp: false, calleeUp: true, bridged: true }));
  t.is(v.outcome?.outcome, 'answered');
  t.deepEqual(kinds(v.effects), ['hangup_callee', 'destroy_bridge']);
  const c = transition('connected', { type: 'callee.ended', cause: 16, causeTxt: 'Normal Clearing' }, ctx({ calleeUp: false, bridged: true }));
  t.is(c.outcome?.outcome, 'answered');
  t.deepEqual(kinds(c.effects), ['hangup_visitor', 'destroy_bridge']);
});

test('connected but the bridge never confirmed: nobody spoke, so nothing is answered', (t) => {
  const v = transition('connected', { type: 'visitor.ended', cause: 16, causeTxt: 'Normal Clearing' }, ctx({ visitorUp: false, calleeUp: true }));
  t.is(v.outcome?.outcome, 'abandoned', 'the visitor hung up before being connected');
  const c = transition('connected', { type: 'callee.ended', cause: 16, causeTxt: 'Normal Clearing' }, ctx({ calleeUp: false }));
  t.is(c.outcome?.outcome, 'callee_unanswered');
  const a = transition('connected', { type: 'abort', reason: 'asterisk error: connect_callee: no answer from Asterisk within 4000 ms' }, ctx({ calleeUp: true }));
  t.deepEqual(a.outcome, { outcome: 'failed', cause: null, causeTxt: 'asterisk error: connect_callee: no answer from Asterisk within 4000 ms' });
  t.is(transition('connected', { type: 'abort', reason: 'maximum call length reached' }, ctx({ calleeUp: true, bridged: true })).outcome?.outcome, 'answered');
});

test('callee not answering is callee_unanswered and the visitor is hung up', (t) => {
  const r = transition('callee_ringing', { type: 'callee.ended', cause: 19, causeTxt: 'No answer' }, ctx({ calleeUp: false }));
  t.is(r.outcome?.outcome, 'callee_unanswered');
  t.deepEqual(kinds(r.effects), ['hangup_visitor', 'destroy_bridge']);
});

test('visitor hanging up while waiting is abandoned and cancels the ringing callee', (t) => {
  const r = transition('callee_ringing', { type: 'visitor.ended', cause: 16, causeTxt: 'Normal Clearing' }, ctx({ visitorUp: false, calleeUp: true }));
  t.is(r.outcome?.outcome, 'abandoned');
  t.deepEqual(kinds(r.effects), ['hangup_callee', 'destroy_bridge']);
});

test('illegal transitions raise', (t) => {
  t.throws(() => transition('visitor_ringing', { type: 'callee.answered' }, ctx()), { instanceOf: IllegalTransition });
  t.throws(() => transition('ended', { type: 'visitor.answered' }, ctx()), { instanceOf: IllegalTransition });
});

test('an abort (our side ending the call) is a failed attempt with its cause in every state short of a bridged call, never abandoned or canceled', (t) => {
  const r = transition('visitor_ringing', { type: 'abort', reason: 'shutdown' }, ctx());
  t.deepEqual(r.outcome, { outcome: 'failed', cause: null, causeTxt: 'shutdown' });
  t.deepEqual(kinds(r.effects), ['hangup_visitor', 'destroy_bridge']);
  for (const state of ['visitor_confirming', 'callee_ringing', 'callee_whisper', 'connected'] as const) {
    t.is(transition(state, { type: 'abort', reason: 'asterisk error: play: HTTP 500' }, ctx()).outcome?.outcome, 'failed', state);
  }
});
