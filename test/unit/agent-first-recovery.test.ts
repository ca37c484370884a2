import test from 'ava';
import { reconcileAgentFirst } from '../../src/calls/flow/call-recovery.ts';

test('agent-first after lost events: a gone leg is reported ended, an answer in the gap replayed, the rest goes on', (t) => {
  const ended = (type: string) => ({ action: 'event', event: { type, cause: 0, causeTxt: `${type === 'callee.ended' ? 'agent' : 'visitor'} leg gone while events were lost` } });
  t.deepEqual(reconcileAgentFirst('offered', null, null), { action: 'keep' });
  t.deepEqual(reconcileAgentFirst('agent_ringing', null, 'unknown'), ended('callee.ended'));
  t.deepEqual(reconcileAgentFirst('agent_ringing', 'Up', 'unknown'), { action: 'event', event: { type: 'callee.answered' } });
  t.deepEqual(reconcileAgentFirst('agent_ringing', 'Ringing', 'unknown'), { action: 'keep' });
  t.deepEqual(reconcileAgentFirst('visitor_ringing', 'Up', null), ended('visitor.ended'));
  t.deepEqual(reconcileAgentFirst('visitor_ringing', null, 'Ringing'), ended('callee.ended'));
  t.deepEqual(reconcileAgentFirst('visitor_ringing', 'Up', 'Up'), { action: 'event', event: { type: 'visitor.answered' } });
  t.deepEqual(reconcileAgentFirst('visitor_ringing', 'Up', 'unknown'), { action: 'keep' });
  t.deepEqual(reconcileAgentFirst('connected', 'Up', null), ended('visitor.ended'));
  t.deepEqual(reconcileAgentFirst('connected', null, 'Up'), ended('callee.ended'));
  t.deepEqual(reconcileAgentFirst('connected', 'Up', 'Up'), { action: 'keep' });
});

test('agent-first after lost events while a transfer target rings: the call\'s own legs are checked as when connected', (t) => {
  t.deepEqual(reconcileAgentFirst('transferring', 'Up', null), { action: 'event', event: { type: 'visitor.ended', cause: 0, causeTxt: 'visitor leg gone while events were lost' } });
  t.deepEqual(reconcileAgentFirst('transferring', null, 'Up'), { action: 'event', event: { type: 'callee.ended', cause: 0, causeTxt: 'agent leg gone while events were lost' } });
  t.deepEqual(reconcileAgentFirst('transferring', 'Up', 'Up'), { action: 'keep' });
});
