import test from 'ava';
import { cleanUrl, parseCallbackInput } from '../../src/requests/callback-input.ts';
import { parseCallId, callIds, calleeLegId } from '../../src/calls/session/call-ids.ts';
import { localToIso } from '../../src/widget/hosted-form.routes.ts';

test('missing fields give one code per field', (t) => {
  const r = parseCallbackInput({});
  t.false(r.ok);
  if (!r.ok) {
    const codes = Object.fromEntries(r.fields.map((f) => [f.field, f.code]));
    t.is(codes.subscriber, 'subscriber_required');
    t.is(codes.phone, 'phone_required');
    t.is(codes.consent, 'consent_required');
  }
});

test('over-long name and message are refused', (t) => {
  const r = parseCallbackInput({ subscriber: 'demo', phone: '2025550145', consent: true, name: 'x'.repeat(101), message: 'y'.repeat(1001) });
  t.false(r.ok);
  if (!r.ok) t.deepEqual(r.fields.map((f) => f.field).sort(), ['message', 'name']);
});

test('page URLs keep http(s) only', (t) => {
  t.is(cleanUrl('https://shop.example.com/p?q=1'), 'https://shop.example.com/p?q=1');
  t.is(cleanUrl('javascript:alert(1)'), null);
  t.is(cleanUrl('not a url'), null);
});

test('call ids round-trip to their attempt', (t) => {
  const id = '0b7c2e1a-1111-4222-8333-944455556666';
  const ids = callIds(id);
  t.deepEqual(parseCallId(ids.visitor), { attemptId: id, leg: 'visitor' });
  t.deepEqual(parseCallId(ids.callee), { attemptId: id, leg: 'callee', calleeLeg: 1 });
  t.deepEqual(parseCallId(ids.playback('confirm')), { attemptId: id, leg: 'playback', prompt: 'confirm' });
  t.is(parseCallId('PJSIP/other-0001'), null);
});

test('each callee leg of an attempt has its own channel id, naming the attempt and the leg', (t) => {
  const id = '0b7c2e1a-1111-4222-8333-944455556666';
  t.is(calleeLegId(id, 1), callIds(id).callee);
  const second = calleeLegId(id, 2);
  t.not(second, callIds(id).callee);
  t.deepEqual(parseCallId(second), { attemptId: id, leg: 'callee', calleeLeg: 2 });
  t.deepEqual(parseCallId(calleeLegId(id, 3)), { attemptId: id, leg: 'callee', calleeLeg: 3 });
  t.is(parseCallId(`bk-c-${id}-x`), null);
  t.is(parseCallId(`bk-v-${id}-2`), null);
});

test('hosted form local time plus browser offset becomes UTC', (t) => {
  t.is(localToIso('2026-11-22T09:30', '300'), '2026-11-22T14:30:00.000Z');
  t.is(localToIso('garbage', '0'), null);
});
