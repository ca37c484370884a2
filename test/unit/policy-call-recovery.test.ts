import test from 'ava';
import { lostTransition, reconcileAttempt } from '../../src/calls/flow/call-recovery.ts';
import { transition } from '../../src/calls/flow/call-state.ts';

// The pure decisions of src/calls/flow/call-recovery.ts: what a worker does with a call whose events it may have missed.

test('visitor leg gone before answer: lost, counted as a failed attempt (cause unknown)', (t) => {
  const d = reconcileAttempt('visitor_ringing', null, null, { resumed: true });
  t.is(d.action, 'lost');
  const tr = lostTransition('visitor_ringing', { type: 'lost', reason: 'x', visitorUp: false, calleeUp: false });
  t.deepEqual(tr.outcome, { outcome: 'failed', cause: null, causeTxt: 'x' });
  t.deepEqual(tr.effects, [{ kind: 'destroy_bridge' }]);
});

test('visitor answered while events were lost: the answer is replayed', (t) => {
  t.deepEqual(reconcileAttempt('visitor_ringing', 'Up', null, { resumed: false }), { action: 'event', event: { type: 'visitor.answered' } });
  t.deepEqual(reconcileAttempt('visitor_ringing', 'Ringing', null, { resumed: true }), { action: 'keep' });
});

test('a connected call with both legs up is kept; with one leg gone it ends as answered and the other is hung up', (t) => {
  t.deepEqual(reconcileAttempt('connected', 'Up', 'Up', { resumed: true }), { action: 'keep' });
  t.is(reconcileAttempt('connected', 'Up', null, { resumed: false }).action, 'lost');
  const tr = lostTransition('connected', { type: 'lost', reason: 'gone', visitorUp: true, calleeUp: false });
  t.is(tr.outcome?.outcome, 'answered');
  t.deepEqual(tr.effects, [{ kind: 'hangup_visitor' }, { kind: 'destroy_bridge' }]);
});

test('mid-prompt calls cannot be resumed by a new process: hung up and retried; the same process keeps them', (t) => {
  t.deepEqual(reconcileAttempt('visitor_confirming', 'Up', null, { resumed: false }), { action: 'keep' });
  t.is(reconcileAttempt('visitor_confirming', 'Up', null, { resumed: true }).action, 'lost');
  const tr = lostTransition('visitor_confirming', { type: 'lost', reason: 'restart', visitorUp: true, calleeUp: false });
  t.is(tr.outcome?.outcome, 'failed');
  t.deepEqual(tr.effects.map((e) => e.kind), ['hangup_visitor', 'destroy_bridge']);
  t.is(reconcileAttempt('callee_whisper' as never, 'Up', 'Up', { resumed: true }).action, 'lost');
});

test('ringing the callee: answer replayed, callee gone is lost, still ringing is kept', (t) => {
  t.deepEqual(reconcileAttempt('callee_ringing', 'Up', 'Up', { resumed: true }), { action: 'event', event: { type: 'callee.answered' } });
  t.is(reconcileAttempt('callee_ringing', 'Up', null, { resumed: false }).action, 'lost');
  t.is(reconcileAttempt('callee_ringing', null, 'Ringing', { resumed: false }).action, 'lost');
  t.deepEqual(reconcileAttempt('callee_ringing', 'Up', 'Ringing', { resumed: false }), { action: 'keep' });
});

test('a leg still being placed (originate not yet confirmed) is never taken for a lost one', (t) => {
  t.deepEqual(reconcileAttempt('visitor_ringing', 'unknown', null, { resumed: false }), { action: 'keep' });
  t.deepEqual(reconcileAttempt('callee_ringing', 'Up', 'unknown', { resumed: false }), { action: 'keep' });
});

test('after a socket gap a visitor being asked for the key is asked again (a key pressed in the gap was lost); not on a periodic pass', (t) => {
  t.deepEqual(reconcileAttempt('visitor_confirming', 'Up', null, { resumed: false, afterGap: true }), { action: 'event', event: { type: 'confirm.ask_again' } });
  t.deepEqual(reconcileAttempt('visitor_confirming', 'Up', null, { resumed: false, afterGap: false }), { action: 'keep' });
  t.is(reconcileAttempt('visitor_confirming', null, null, { resumed: false, afterGap: true }).action, 'lost');
  const again = transition('visitor_confirming', { type: 'confirm.ask_again' }, { confirm: true, confirmKey: '1', optOutKey: '9', visitorUp: true, calleeUp: false });
  t.deepEqual(again, { to: 'visitor_confirming', effects: [{ kind: 'play', prompt: 'confirm' }] });
  t.deepEqual(transition('callee_ringing', { type: 'confirm.ask_again' }, { confirm: true, confirmKey: '1', optOutKey: '9', visitorUp: true, calleeUp: true }).effects, [], 'stale elsewhere');
});

test('a live session out of step with PostgreSQL is judged only when idle and stored before the list was read', async (t) => {
  const { storedMismatch } = await import('../../src/calls/flow/call-recovery.ts');
  const row = (state: string) => ({ state }) as never;
  const idle = { idle: true, storedAt: 1000, state: 'visitor_confirming' };
  t.is(storedMismatch(idle, row('visitor_confirming'), 2000), null);
  t.is(storedMismatch(idle, row('callee_ringing'), 2000), 'differs');
  t.is(storedMismatch(idle, undefined, 2000), 'gone');
  t.is(storedMismatch({ ...idle, idle: false }, undefined, 2000), null, 'an event under way may be storing right now');
  t.is(storedMismatch({ ...idle, storedAt: 2500 }, row('callee_ringing'), 2000), null, 'stored after the list was read');
});
