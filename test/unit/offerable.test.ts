import test from 'ava';
import { isLive, offerable, ownProblem, setupProblems } from '../../src/subscribers/offerable.ts';
import { departmentRecord as department, subscriberRecord as subscriber } from '../helpers/records.ts';

const nobody = { anyDepartment: false, departmentIds: [] };

test('the subscriber takes calls itself with a verified phone, or with agents when one is assigned', (t) => {
  t.is(ownProblem(subscriber(), nobody), null);
  t.truthy(ownProblem(subscriber({ phoneVerifiedAt: null }), nobody));
  const byAgents = subscriber({ settings: { answeredBy: 'agents' }, phoneVerifiedAt: null });
  t.truthy(ownProblem(byAgents, nobody), 'agents answer, but none is assigned');
  t.is(ownProblem(byAgents, { anyDepartment: true, departmentIds: [] }), null);
  t.is(ownProblem(byAgents, { anyDepartment: false, departmentIds: ['d1'] }), null);
});

test('live: active, and the subscriber or one of its departments can take a call; the overview lists what is not', (t) => {
  const unverified = subscriber({ phoneVerifiedAt: null });
  t.true(isLive(subscriber(), [], nobody));
  t.false(isLive(unverified, [], nobody));
  t.true(isLive(unverified, [department()], nobody), 'a verified department is enough');
  t.false(isLive(unverified, [department({ answeredBy: 'agents', phoneVerifiedAt: null })], nobody), 'a department of agents with none assigned is not');
  t.true(isLive(unverified, [department({ answeredBy: 'agents', phoneVerifiedAt: null })], { anyDepartment: false, departmentIds: ['d1'] }));
  t.false(isLive(subscriber({ status: 'suspended' }), [department()], nobody), 'a suspended account is never live');
  t.true(offerable(subscriber({ status: 'suspended' }), [], nobody).ready, 'offerable judges the setup; suspension is refused on its own');
  t.is(setupProblems(unverified, [department(), department({ id: 'd2', name: 'Desk', phoneVerifiedAt: null })], nobody).length, 2);
});
