import test from 'ava';
import { PhoneBook, parseBehavior, parseRules } from '../../src/sim/phone-rules.ts';

test('default rules go by the last digit of the number', (t) => {
  const book = new PhoneBook();
  t.deepEqual(book.behaviorFor('15551234560'), { kind: 'busy' });
  t.deepEqual(book.behaviorFor('15551234569'), { kind: 'noanswer' });
  t.deepEqual(book.behaviorFor('15551234568'), { kind: 'reject' });
  t.deepEqual(book.behaviorFor('15551234567'), { kind: 'answer', hangupAfterMs: 2000 });
  t.deepEqual(book.behaviorFor('15551234566'), { kind: 'answer', pressKey: null });
  t.deepEqual(book.behaviorFor('+15551234565'), { kind: 'answer' });
});

test('custom rules come first, match the number without +, and reset back to the defaults', (t) => {
  const book = new PhoneBook();
  book.set([{ pattern: '^1555', behavior: { kind: 'congestion', afterMs: 10 } }]);
  t.deepEqual(book.behaviorFor('+15551234565'), { kind: 'congestion', afterMs: 10 });
  t.deepEqual(book.behaviorFor('44201234560'), { kind: 'busy' }, 'unmatched numbers keep the defaults');
  book.reset();
  t.deepEqual(book.rules(), []);
  t.deepEqual(book.behaviorFor('15551234565'), { kind: 'answer' });
});

test('rules and behaviours are validated', (t) => {
  t.throws(() => parseRules({}), { message: /array/ });
  t.throws(() => parseRules([{ pattern: '(', behavior: { kind: 'busy' } }]), { message: /regular expression/ });
  t.throws(() => parseBehavior({ kind: 'ring-forever' }), { message: /kind/ });
  t.throws(() => parseBehavior({ kind: 'answer', afterMs: -1 }), { message: /afterMs/ });
  t.throws(() => parseBehavior({ kind: 'answer', pressKey: '12' }), { message: /pressKey/ });
  t.deepEqual(parseBehavior({ kind: 'answer', pressKey: null, extra: 1 }), { kind: 'answer', pressKey: null });
  t.deepEqual(parseBehavior({ kind: 'noanswer', afterMs: 5 }), { kind: 'noanswer' });
});
