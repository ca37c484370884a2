import test from 'ava';
import { AsteriskFailure, effectError, failureReason, LegGone } from '../../src/calls/flow/effect-failure.ts';
import { lostTransition } from '../../src/calls/flow/call-recovery.ts';
import { NotFoundOnAsterisk } from '../../src/telephony/telephony-port.ts';

test('a step failing because its channel hung up is the party gone; anything else from Asterisk is its failure', (t) => {
  t.true(effectError('create_bridge_with_visitor', new Error('{"message":"Channel not found"}')) instanceof LegGone);
  t.true(effectError('connect_callee', new Error('Channel not in Stasis application')) instanceof LegGone);
  t.true(effectError('answer_visitor', new NotFoundOnAsterisk('Channel not found')) instanceof LegGone);
  const bridge = effectError('connect_callee', new Error('Bridge not found'));
  t.true(bridge instanceof AsteriskFailure, 'our bridge missing is ours to answer for');
  const slow = effectError('connect_callee', new Error('no answer from Asterisk within 4000 ms'));
  t.is(failureReason(slow), 'asterisk error: connect_callee: no answer from Asterisk within 4000 ms');
  t.is(failureReason(new TypeError('x is undefined')), 'internal error: x is undefined');
});

test('a connected call lost before its bridge was confirmed is failed, not answered', (t) => {
  const lost = (bridged?: boolean) => lostTransition('connected', { type: 'lost', reason: 'asterisk error: connect_callee: HTTP 500', visitorUp: true, calleeUp: true, bridged }).outcome?.outcome;
  t.is(lost(false), 'failed');
  t.is(lost(true), 'answered');
  t.is(lost(undefined), 'answered', 'recovery: a connected call with its legs up counts as bridged');
});
