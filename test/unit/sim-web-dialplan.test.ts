import test from 'ava';
import { causeForSipStatus, sipReason, sipStatusForCause } from '../../src/sim/sip-status.ts';
import { pjsipHeaderName, routeFromWeb } from '../../src/sim/web-dialplan.ts';

test('from-web: callback goes to Stasis(<inbound app>,webcall,<ticket>); the ticket is "" without the header', (t) => {
  const withTicket = routeFromWeb('callback', new Map([['x-beckon-ticket', 'abc123']]), 'beckon-inbound');
  t.deepEqual(withTicket, {
    context: 'from-web', exten: 'callback', app: 'beckon-inbound', appData: 'beckon-inbound,webcall,abc123', args: ['webcall', 'abc123'],
  });
  t.deepEqual(routeFromWeb('callback', new Map(), 'b-inbound')?.args, ['webcall', '']);
  t.is(routeFromWeb('callback', new Map(), 'b-inbound')?.appData, 'b-inbound,webcall,');
});

test('from-web: nothing but callback exists (no way to the carrier)', (t) => {
  for (const exten of ['15551234567', 'agent1', 's', 'hangup-now', '']) t.is(routeFromWeb(exten, new Map(), 'a'), null, exten);
});

test('PJSIP_HEADER(read,<name>) names the header; other variables are not headers', (t) => {
  t.is(pjsipHeaderName('PJSIP_HEADER(read,X-Beckon-Ticket)'), 'X-Beckon-Ticket');
  t.is(pjsipHeaderName('PJSIP_HEADER(read, X-Beckon-Ticket, 1)'), 'X-Beckon-Ticket');
  t.is(pjsipHeaderName('PJSIP_HEADER(add,X-Foo)'), null);
  t.is(pjsipHeaderName('CDR(userfield)'), null);
});

test('an unanswered caller the app hangs up gets the recorded response for the cause', (t) => {
  t.is(sipStatusForCause(16), 603);
  t.is(sipStatusForCause(17), 486);
  t.is(sipStatusForCause(34), 503);
  t.is(sipStatusForCause(19), 480);
  t.is(sipReason(603), 'Decline');
  t.is(sipReason(480), 'Temporarily Unavailable');
});

test('a browser agent refusing with 486, 603 or JsSIP\'s default 480 gives the recorded causes', (t) => {
  t.is(causeForSipStatus(486), 17);
  t.is(causeForSipStatus(603), 21);
  t.is(causeForSipStatus(480), 19);
});
