import test from 'ava';
import { stageOf, toStatusView } from '../../src/requests/status.service.ts';
import { statusPageModel, timeCell } from '../../src/requests/status-page.ts';
import { describe } from '../../src/widget/client/progress.ts';
import { translator } from '../../src/widget/client/i18n.ts';
import { visitorId } from '../../src/widget/client/visitor-id.ts';
import { demoLimitsText } from '../../src/demo/demo.routes.ts';

test('stage: what the visitor is told follows the call in flight, agent-first included', (t) => {
  t.is(stageOf('queued', undefined), 'queued');
  t.is(stageOf('dialing', 'offered'), 'finding', 'an agent is only being offered the call: the visitor is not being called yet');
  t.is(stageOf('dialing', 'agent_ringing'), 'finding');
  t.is(stageOf('dialing', 'visitor_ringing'), 'calling');
  t.is(stageOf('dialing', 'visitor_confirming'), 'connecting');
  t.is(stageOf('dialing', 'callee_ringing'), 'connecting');
  t.is(stageOf('dialing', 'callee_whisper'), 'connecting');
  t.is(stageOf('dialing', 'connected'), 'connected');
  t.is(stageOf('connected', 'connected'), 'connected');
  t.is(stageOf('completed', 'ended'), 'completed');
});

test('status view: the stage is read from the attempt still in flight, not an ended one', (t) => {
  const r: any = { id: 'r', status: 'dialing', statusReason: null, scheduledAt: null, nextAttemptAt: null, createdAt: new Date(), finishedAt: null, subscriberId: 's' };
  const ended = { n: 1, state: 'ended', outcome: 'no_answer', cause: 19, causeTxt: null, startedAt: new Date(), answeredAt: null, endedAt: new Date() } as any;
  const live = { n: 2, state: 'agent_ringing', outcome: null, cause: null, causeTxt: null, startedAt: new Date(), answeredAt: null, endedAt: null } as any;
  t.is(toStatusView(r, [ended, live]).stage, 'finding');
  t.is(toStatusView({ ...r, status: 'queued' }, [ended]).stage, 'queued');
});

test('status page: steps marked up to the current one, outcomes in words, times as ISO with a UTC fallback', (t) => {
  const view: any = {
    id: 'r', status: 'dialing', stage: 'finding', reason: null, scheduledAt: null, createdAt: '', finishedAt: null, estimatedWaitSec: null,
    attempts: [{ n: 1, outcome: 'busy', startedAt: '2026-12-04T17:32:50.491Z', answeredAt: null, endedAt: '2026-12-04T17:33:05.000Z' }, { n: 2, outcome: null, startedAt: '2026-12-04T18:00:00.000Z', answeredAt: null, endedAt: null }],
  };
  const m = statusPageModel(view);
  t.is(m.stageLabel, 'Finding someone');
  t.is(m.statusText, 'Finding someone to take your call…');
  t.deepEqual(m.steps.map((s) => [s.id, s.state, s.hidden]), [
    ['queued', 'done', false], ['finding', 'current', false], ['calling', '', false], ['connecting', '', false], ['connected', '', false], ['completed', '', false]]);
  t.true(statusPageModel({ ...view, stage: 'calling' }).steps.find((s) => s.id === 'finding')!.hidden, 'customer-first calls never show the agent step');
  t.deepEqual(m.attemptRows.map((a) => a.outcome), ['Line busy', 'In progress']);
  t.deepEqual(m.attemptRows[0]!.startedAt, { iso: '2026-12-04T17:32:50.491Z', text: 'Dec 4, 5:32 PM UTC' });
  t.deepEqual(timeCell(null), { iso: '', text: '' });
  t.false(statusPageModel({ ...view, stage: 'failed' }).steps.some((s) => s.state), 'a failed request marks no step');
});

test('widget: the stage decides the words, so an agent being rung is never "Calling you now…"', (t) => {
  const en = translator('en');
  const d = (e: any) => describe(e, 'Demo Shop', (x) => x);
  const finding = d({ status: 'dialing', stage: 'finding', phase: 'ringing_agent' });
  t.is(en(finding.key, finding.vars), 'Finding someone to take your call…');
  t.is(en(d({ status: 'dialing', stage: 'calling', phase: 'ringing_visitor' }).key), 'Calling you now…');
  t.like(d({ status: 'dialing', stage: 'connecting' }), { step: 'connecting', key: 'connecting' });
  t.like(d({ status: 'dialing', stage: 'connected' }), { step: 'connected', key: 'connected' });
  t.like(d({ status: 'connected', stage: 'connected' }), { step: 'connected', key: 'connected' });
});

test('visitor id: kept in storage and reused; memory when storage is refused', (t) => {
  const store = new Map<string, string>();
  const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) } as unknown as Storage;
  const a = visitorId(() => storage);
  t.regex(a, /^[A-Za-z0-9_-]{22}$/);
  t.is(visitorId(() => storage), a);
  store.clear();
  store.set('beckon:visitor', 'not valid!');
  const b = visitorId(() => storage);
  t.regex(b, /^[A-Za-z0-9_-]{16,64}$/);
  const refused = () => { throw new Error('SecurityError'); };
  const c = visitorId(refused);
  t.is(visitorId(refused), c, 'one id for the page\'s lifetime without storage');
});

test('demo page states the limits in force', (t) => {
  t.is(demoLimitsText({ enabled: true, numbersPerVisitor: { points: 20, seconds: 3600 }, callsPerNumber: { points: 10, seconds: 3600 } }).split('. ')[0],
    'This server lets one browser ask for 20 different numbers per hour; one number is rung at most 10 times per hour');
  t.regex(demoLimitsText({ enabled: false, numbersPerVisitor: { points: 2, seconds: 3600 }, callsPerNumber: null }), /^Rate limits are off/);
});

test('on hold: a bridged call the agent holds reads "On hold" on the status page and in the widget, still on the connected step', (t) => {
  t.is(stageOf('connected', 'connected', true), 'on_hold');
  t.is(stageOf('dialing', 'connected', true), 'on_hold');
  t.is(stageOf('connected', 'connected', false), 'connected');
  t.is(stageOf('dialing', 'visitor_ringing', true), 'calling', 'only a bridged call can be on hold');
  t.is(stageOf('completed', 'ended', true), 'completed');
  const r: any = { id: 'r', status: 'connected', statusReason: null, scheduledAt: null, nextAttemptAt: null, createdAt: new Date(), finishedAt: null, subscriberId: 's' };
  const live = { n: 1, state: 'connected', outcome: null, cause: null, causeTxt: null, startedAt: new Date(), answeredAt: new Date(), endedAt: null } as any;
  t.is(toStatusView(r, [live], null, new Date(), true).stage, 'on_hold');
  t.is(toStatusView(r, [live]).stage, 'connected');
  const view: any = { id: 'r', status: 'connected', stage: 'on_hold', reason: null, scheduledAt: null, createdAt: '', finishedAt: null, estimatedWaitSec: null, attempts: [] };
  const m = statusPageModel(view);
  t.is(m.stageLabel, 'On hold');
  t.is(m.statusText, 'You are on hold. Please stay on the line.');
  t.deepEqual(m.steps.filter((s) => s.state && !s.hidden).map((s) => [s.id, s.state]), [['queued', 'done'], ['calling', 'done'], ['connecting', 'done'], ['connected', 'current']]);
  const fmt = (iso: string) => iso;
  t.like(describe({ status: 'connected', stage: 'on_hold' }, 'Demo Shop', fmt), { step: 'connected', key: 'onHold' });
  t.like(describe({ status: 'dialing', stage: 'on_hold' }, 'Demo Shop', fmt), { step: 'connected', key: 'onHold' });
  t.like(describe({ status: 'connected', stage: 'connected', phase: 'connected' }, 'Demo Shop', fmt), { step: 'connected', key: 'connected' });
  t.is(translator('fr')('onHold'), 'Vous êtes en attente. Merci de rester en ligne.');
});

test('while the agent transfers the call the visitor is on hold (music), whatever the agent set before', (t) => {
  t.is(stageOf('connected', 'transferring'), 'on_hold');
  t.is(stageOf('connected', 'transferring', true), 'on_hold');
  t.is(stageOf('completed', 'transferring'), 'completed');
});
