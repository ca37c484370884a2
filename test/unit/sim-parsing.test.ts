import test from 'ava';
import { AmiReader, formatAmi } from '../../src/sim/ami-format.ts';
import { causeText, reasonToCause } from '../../src/sim/causes.ts';
import { parseCallerId, parseDialTarget } from '../../src/sim/endpoints.ts';
import { isKnownMedia, mediaInfo } from '../../src/sim/media.ts';
import { ariTime, cdrTime, wholeSeconds } from '../../src/sim/time-format.ts';

test('dial targets: trunk numbers, devices, and what cannot be allocated', (t) => {
  t.deepEqual(parseDialTarget('PJSIP/+15551234567@carrier'), {
    kind: 'trunk',
    tech: 'PJSIP',
    trunk: 'carrier',
    number: '+15551234567',
    dialstring: '+15551234567@carrier',
  });
  t.deepEqual(parseDialTarget('PJSIP/agent1'), { kind: 'device', tech: 'PJSIP', name: 'agent1', dialstring: 'agent1' });
  t.like(parseDialTarget('PJSIP/agent1/sip:agent1@127.0.0.1:5099'), { kind: 'device', name: 'agent1' });
  t.is(parseDialTarget('FOO/bar'), null);
  t.is(parseDialTarget('PJSIP/'), null);
  t.is(parseDialTarget('agent1'), null);
  t.is(parseDialTarget('PJSIP/123@'), null);
});

test('caller ids in the forms ARI accepts', (t) => {
  t.deepEqual(parseCallerId('"Callback Lab" <15550001111>'), { name: 'Callback Lab', number: '15550001111' });
  t.deepEqual(parseCallerId('Visitor <15551234567>'), { name: 'Visitor', number: '15551234567' });
  t.deepEqual(parseCallerId('15551234567'), { name: '', number: '15551234567' });
  t.deepEqual(parseCallerId(undefined), { name: '', number: '' });
});

test('hangup reasons map to causes; cause texts follow Q.850', (t) => {
  t.is(reasonToCause(undefined, undefined), 16);
  t.is(reasonToCause('normal', undefined), 16);
  t.is(reasonToCause('busy', undefined), 17);
  t.is(reasonToCause(undefined, '21'), 21);
  t.is(reasonToCause('bogus', undefined), null);
  t.is(reasonToCause(undefined, '300'), null);
  t.is(causeText(19), 'User alerting, no answer');
  t.is(causeText(0), 'Unknown');
});

test('media lengths and which playbacks can be stopped', (t) => {
  t.deepEqual(mediaInfo('digits:4821'), { lengthMs: 3200, controllable: false });
  t.false(mediaInfo('number:4821').controllable);
  t.deepEqual(mediaInfo('sound:hello-world'), { lengthMs: 1420, controllable: true });
  t.is(mediaInfo('sound:custom/prompt').lengthMs, 1500);
  t.is(mediaInfo('tone:ring').lengthMs, null);
  t.true(isKnownMedia('sound:x'));
  t.false(isKnownMedia('video:x'));
  t.false(isKnownMedia('sound:'));
});

test('time formats of ARI events and CDRs', (t) => {
  const ms = Date.UTC(2026, 10, 22, 2, 19, 36, 825);
  t.is(ariTime(ms), '2026-11-22T02:19:36.825+0000');
  t.is(cdrTime(ms), '2026-11-22 02:19:36');
  // CDR seconds are truncated, as Asterisk's cdr.c counts them (4.6 s is 4, never rounded up)
  t.is(wholeSeconds(ms, ms + 4600), 4);
  t.is(wholeSeconds(ms, ms + 4999), 4);
  t.is(wholeSeconds(ms, ms + 5000), 5);
  t.is(wholeSeconds(ms, ms - 10), 0);
});

test('AMI messages are split on blank lines across reads, keys lower-cased', (t) => {
  const reader = new AmiReader();
  t.deepEqual(reader.feed('Action: Login\r\nUsername: a'), []);
  const msgs = reader.feed('mi\r\nSecret: s\r\n\r\nAction: Ping\r\nActionID: 7\r\n\r\n');
  t.is(msgs.length, 2);
  t.is(msgs[0]!.get('username'), 'ami');
  t.is(msgs[1]!.get('actionid'), '7');
  t.is(formatAmi([['Response', 'Success'], ['Ping', 'Pong']]), 'Response: Success\r\nPing: Pong\r\n\r\n');
});
