import test from 'ava';
import { callStep, controls, INITIAL, statusKey, timerText, type CallEvent, type CallState } from '../../src/widget/client/call/call-state.ts';
import { CALL_DICTS } from '../../src/widget/client/call/call-i18n.ts';

const run = (events: CallEvent[], from: CallState = INITIAL): CallState => events.reduce(callStep, from);
const ticket = (following = true): CallEvent => ({ type: 'ticket', following });
const status = (s: string, at = 0, outcome: string | null = null): CallEvent =>
  ({ type: 'status', at, status: { status: s, attempts: outcome === null && s !== 'failed' ? [] : [{ outcome }] } });

test('a call that goes through: ticket, microphone, ringing, answered with music, then bridged starts the timer', (t) => {
  const steps: CallState[] = [];
  let s = INITIAL;
  for (const e of [ticket(), { type: 'microphone' }, { type: 'progress' }, { type: 'answered', at: 1000 }, status('dialing', 1500), status('connected', 2000)] as CallEvent[]) {
    s = callStep(s, e);
    steps.push(s);
  }
  t.deepEqual(steps.map((x) => x.phase), ['microphone', 'connecting', 'ringing', 'ringing', 'ringing', 'connected']);
  t.is(s.connectedAt, 2000, 'talk time counts from the bridge, not from Asterisk answering with music');
  t.deepEqual(controls(s), { hangup: true, mute: true, back: false });
  const done = callStep(s, { type: 'ended', originator: 'local', cause: 'Terminated' });
  t.is(done.phase, 'ended');
  t.is(done.reason, 'local');
  t.deepEqual(controls(done), { hangup: false, mute: false, back: true });
});

test('without the status stream, Asterisk\'s answer is the connection; a stream that closes falls back the same way', (t) => {
  const s = run([ticket(false), { type: 'microphone' }, { type: 'answered', at: 500 }]);
  t.is(s.phase, 'connected');
  t.is(s.connectedAt, 500);
  const lost = run([ticket(true), { type: 'microphone' }, { type: 'answered', at: 500 }]);
  t.is(lost.phase, 'ringing');
  const after = callStep(lost, { type: 'unfollowed', at: 900 });
  t.is(after.phase, 'connected');
  t.is(after.connectedAt, 900);
});

test('bridged before the browser\'s 200 OK arrives: connected at the answer', (t) => {
  const s = run([ticket(), { type: 'microphone' }, status('connected', 100), { type: 'answered', at: 300 }]);
  t.is(s.phase, 'connected');
  t.is(s.connectedAt, 300);
});

test('the end reason from JsSIP\'s cause, as Asterisk answers an unanswered browser call (603/486/503/480)', (t) => {
  const ringing = run([ticket(), { type: 'microphone' }, { type: 'progress' }]);
  const end = (originator: 'local' | 'remote' | 'system', cause: string, from = ringing) => callStep(from, { type: 'ended', originator, cause }).reason;
  t.is(end('remote', 'Busy'), 'busy');
  t.is(end('remote', 'Unavailable'), 'noanswer');
  t.is(end('remote', 'Rejected'), 'refused', '603: the ticket was not accepted');
  t.is(end('remote', 'SIP Failure Code'), 'callee');
  t.is(end('system', 'Connection Error'), 'network');
  t.is(end('local', 'Canceled'), 'local', 'the visitor hung up while it rang (CANCEL)');
  t.is(end('local', 'User Denied Media Access'), 'microphone');
  t.is(end('remote', 'WebRTC Error'), 'failed');
});

test('an answered call ended by a BYE: talking → the business hung up; before the bridge → why the request failed', (t) => {
  const talking = run([ticket(), { type: 'microphone' }, { type: 'answered', at: 1 }, status('connected', 2)]);
  t.is(callStep(talking, { type: 'ended', originator: 'remote', cause: 'Terminated' }).reason, 'remote');
  const onHold = run([ticket(), { type: 'microphone' }, { type: 'answered', at: 1 }]);
  t.is(run([status('failed', 5, 'busy'), { type: 'ended', originator: 'remote', cause: 'Terminated' }], onHold).reason, 'busy');
  t.is(run([status('failed', 5, 'no_answer'), { type: 'ended', originator: 'remote', cause: 'Terminated' }], onHold).reason, 'noanswer');
  // The BYE first, the outcome just after (the worker hangs the browser up, then settles the request).
  const bye = callStep(onHold, { type: 'ended', originator: 'remote', cause: 'Terminated' });
  t.true(bye.awaitingOutcome);
  t.is(bye.phase, 'ringing', 'not over until the reason is known');
  t.deepEqual(controls(bye), { hangup: true, mute: false, back: false });
  t.is(callStep(bye, status('failed', 9, 'callee_unanswered')).reason, 'noanswer');
  t.is(callStep(bye, status('failed', 9, 'busy')).reason, 'busy');
  t.is(callStep(bye, status('dialing', 9)).phase, 'ringing', 'a status that is not final changes nothing');
  t.is(callStep(bye, { type: 'settle' }).reason, 'callee', 'no outcome in time');
  t.is(callStep(bye, { type: 'hangup' }).reason, 'callee', 'the visitor stops waiting: still the business\'s side that ended it');
  t.is(callStep(onHold, { type: 'settle' }), onHold, 'settle means nothing without a BYE waiting');
  // Without the status stream nothing will tell: the BYE ends it at once.
  const alone = run([ticket(false), { type: 'microphone' }, { type: 'progress' }, { type: 'ended', originator: 'remote', cause: 'Terminated' }]);
  t.is(alone.phase, 'ended');
  t.is(alone.reason, 'callee');
});

test('refusals of POST /api/v1/webcalls, the microphone and the network each end with their own reason', (t) => {
  t.is(callStep(INITIAL, { type: 'refused', status: 409, code: 'closed' }).reason, 'closed');
  t.is(callStep(INITIAL, { type: 'refused', status: 429, code: 'too_many_requests' }).reason, 'limited');
  t.is(callStep(INITIAL, { type: 'refused', status: 404, code: 'webcalls_disabled' }).reason, 'unavailable');
  t.is(callStep(INITIAL, { type: 'refused', status: 403, code: 'form_token_invalid' }).reason, 'refused');
  t.is(callStep(INITIAL, { type: 'refused', status: 503 }).reason, 'network');
  t.is(callStep(INITIAL, { type: 'network' }).reason, 'network');
  const asking = callStep(INITIAL, ticket());
  t.is(asking.phase, 'microphone');
  t.deepEqual(controls(asking), { hangup: true, mute: false, back: false });
  t.is(callStep(asking, { type: 'micError', name: 'NotAllowedError' }).reason, 'microphone');
  t.is(callStep(asking, { type: 'micError', name: 'NotFoundError' }).reason, 'nomic');
  t.is(callStep(asking, { type: 'hangup' }).reason, 'local');
});

test('an ended call stays ended with its first reason; mute only while a call is being set up or talking', (t) => {
  const ended = run([{ type: 'refused', status: 409 }, { type: 'ended', originator: 'remote', cause: 'Busy' }, { type: 'answered', at: 1 }, status('connected')]);
  t.is(ended.phase, 'ended');
  t.is(ended.reason, 'closed');
  t.false(callStep(INITIAL, { type: 'mute', muted: true }).muted);
  const ringing = run([ticket(), { type: 'microphone' }, { type: 'progress' }]);
  const muted = callStep(ringing, { type: 'mute', muted: true });
  t.true(muted.muted);
  t.false(callStep(muted, { type: 'mute', muted: false }).muted);
  t.false(callStep(muted, { type: 'ended', originator: 'local', cause: 'Terminated' }).muted);
});

test('timer text: m:ss under an hour, h:mm:ss after', (t) => {
  t.is(timerText(0), '0:00');
  t.is(timerText(999), '0:00');
  t.is(timerText(7_000), '0:07');
  t.is(timerText(754_000), '12:34');
  t.is(timerText(3_723_000), '1:02:03');
  t.is(timerText(-5), '0:00');
});

test('every phase and end reason has its words', (t) => {
  const phases: CallState['phase'][] = ['requesting', 'microphone', 'connecting', 'ringing', 'connected'];
  const reasons = ['local', 'remote', 'busy', 'noanswer', 'callee', 'closed', 'limited', 'unavailable', 'refused', 'microphone', 'nomic', 'network', 'failed'] as const;
  const keys = [...phases.map((phase) => statusKey({ ...INITIAL, phase })), ...reasons.map((reason) => statusKey({ ...INITIAL, phase: 'ended', reason }))];
  for (const k of keys) t.true(k in CALL_DICTS.en, k);
  t.is(statusKey({ ...INITIAL, phase: 'ended' }), 'end_failed');
});
