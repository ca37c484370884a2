import test from 'ava';
import { buildDirectory } from '../../src/directory/directory.service.ts';
import { departmentRecord, subscriberRecord } from '../helpers/records.ts';

const staffed = { anyDepartment: true, departmentIds: [] };
const nobody = { anyDepartment: false, departmentIds: [] };
const mondayHours = { hours: { weekly: { mon: [{ open: '09:00', close: '17:00' }] } } };
const monday10 = new Date('2026-11-23T10:00:00Z');
const monday8 = new Date('2026-11-23T08:00:00Z');

test('the directory offers "Call now" only with web calls on, while open, when something can answer', (t) => {
  const entry = { subscriber: subscriberRecord({ settings: mondayHours }), departments: [departmentRecord()], agents: staffed };
  t.true(buildDirectory(entry, monday10, null, true).webcall);
  t.false(buildDirectory(entry, monday10, null, false).webcall, 'web calls off on this server');
  t.false(buildDirectory(entry, monday10).webcall, 'off unless the server says so');
  t.false(buildDirectory(entry, monday8, null, true).webcall, 'closed: a web call cannot wait for the opening');
  const unanswered = {
    subscriber: subscriberRecord({ settings: { ...mondayHours, answeredBy: 'agents' } }), departments: [departmentRecord({ answeredBy: 'agents' })], agents: nobody,
  };
  t.false(buildDirectory(unanswered, monday10, null, true).webcall, 'nobody to answer');
});
