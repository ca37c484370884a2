import test from 'ava';
import { browserReasonForCallee, IllegalWebCallTransition, webCallRequestEnd, webCallTransition, type WebCallContext } from '../../src/calls/flow/web-call-state.ts';

const ctx = (over: Partial<WebCallContext> = {}): WebCallContext => ({ browserUp: true, calleeUp: true, bridged: false, ...over });
const kinds = (effects: { kind: string }[]) => effects.map((e) => e.kind);

test('the browser is rung and hears ringback as early media, unanswered, while the callee is rung', (t) => {
  const r = webCallTransition('browser_arrived', { type: 'start' }, ctx({ calleeUp: false }));
  t.is(r.to, 'callee_ringing');
  t.falsy(r.visitorAnswered);
  t.deepEqual(kinds(r.effects), ['ring_browser', 'play_ringback', 'originate_callee']);
});

test('the callee answering answers the browser and bridges both; either hanging up ends both', (t) => {
  const c = webCallTransition('callee_ringing', { type: 'callee.answered' }, ctx());
  t.is(c.to, 'connected');
  t.true(c.calleeAnswered);
  t.true(c.visitorAnswered);
  t.deepEqual(kinds(c.effects), ['stop_ringback', 'answer_browser', 'create_bridge_with_browser', 'connect_callee']);
  const browserGone = webCallTransition('connected', { type: 'browser.left', cause: 16, causeTxt: 'Normal Clearing' }, ctx({ bridged: true }));
  t.deepEqual(browserGone.outcome, { outcome: 'answered', cause: 16, causeTxt: 'Normal Clearing' });
  t.deepEqual(kinds(browserGone.effects), ['hangup_callee', 'destroy_bridge']);
  const calleeGone = webCallTransition('connected', { type: 'callee.ended', cause: 16, causeTxt: 'Normal Clearing' }, ctx({ bridged: true }));
  t.is(calleeGone.outcome!.outcome, 'answered');
  t.deepEqual(calleeGone.effects, [{ kind: 'hangup_browser', reason: 'normal' }, { kind: 'destroy_bridge' }]);
});

test('a busy or unanswered callee hangs the browser up with busy or no_answer', (t) => {
  const busy = webCallTransition('callee_ringing', { type: 'callee.ended', cause: 17, causeTxt: 'User busy' }, ctx());
  t.deepEqual(busy.effects, [{ kind: 'hangup_browser', reason: 'busy' }, { kind: 'destroy_bridge' }]);
  t.is(busy.outcome!.outcome, 'callee_unanswered');
  const none = webCallTransition('callee_ringing', { type: 'callee.ended', cause: 19, causeTxt: 'No answer' }, ctx());
  t.deepEqual(none.effects[0], { kind: 'hangup_browser', reason: 'no_answer' });
  t.is(browserReasonForCallee(1), 'normal');
  const unreachable = webCallTransition('callee_ringing', { type: 'callee.originate_failed', status: 500 }, ctx({ calleeUp: false }));
  t.deepEqual(unreachable.effects, [{ kind: 'hangup_browser', reason: 'congestion' }, { kind: 'destroy_bridge' }]);
  const refused = webCallTransition('callee_ringing', { type: 'callee.refused', reason: 'refused: phone not verified' }, ctx({ calleeUp: false }));
  t.deepEqual(refused.outcome, { outcome: 'refused', cause: null, causeTxt: 'refused: phone not verified' });
  t.deepEqual(kinds(refused.effects), ['hangup_browser', 'destroy_bridge']);
});

test('the browser leaving before the callee answered abandons the call and hangs the callee up', (t) => {
  const r = webCallTransition('callee_ringing', { type: 'browser.left', cause: 127, causeTxt: 'Interworking' }, ctx());
  t.is(r.outcome!.outcome, 'abandoned');
  t.deepEqual(kinds(r.effects), ['hangup_callee', 'destroy_bridge']);
});

test('our side ending the call: answered only once bridged; nothing after the end', (t) => {
  t.is(webCallTransition('connected', { type: 'abort', reason: 'maximum call length reached' }, ctx({ bridged: true })).outcome!.outcome, 'answered');
  t.is(webCallTransition('callee_ringing', { type: 'abort', reason: 'worker shutting down' }, ctx()).outcome!.outcome, 'failed');
  t.throws(() => webCallTransition('ended', { type: 'start' }, ctx()), { instanceOf: IllegalWebCallTransition });
});

test('a web call request ends completed when answered, failed otherwise, never retried', (t) => {
  t.deepEqual(webCallRequestEnd({ outcome: 'answered', cause: 16, causeTxt: 'Normal Clearing' }), { to: 'completed', reason: 'web call answered' });
  t.deepEqual(webCallRequestEnd({ outcome: 'callee_unanswered', cause: 17, causeTxt: 'User busy' }), { to: 'failed', reason: 'nobody answered the web call: User busy' });
  t.is(webCallRequestEnd({ outcome: 'abandoned', cause: null, causeTxt: null }).to, 'failed');
});
