import test from 'ava';
import { fires, inviteGate, isExitIntent, scrolledShare, type Store } from '../../src/widget/client/invite/triggers.ts';

/** A Web Storage stand-in; `broken` throws on every call, as blocked storage does. */
function memoryStore(broken = false): Store & { data: Map<string, string> } {
  const data = new Map<string, string>();
  const guard = () => { if (broken) throw new DOMException('blocked', 'SecurityError'); };
  return {
    data,
    getItem: (k) => { guard(); return data.get(k) ?? null; },
    setItem: (k, v) => { guard(); data.set(k, v); },
    removeItem: (k) => { guard(); data.delete(k); },
  };
}

test('time on the page fires once the set seconds have passed, and only when time is a trigger', (t) => {
  t.false(fires({ text: 'Hi', after: 10 }, { time: 9_999 }));
  t.true(fires({ text: 'Hi', after: 10 }, { time: 10_000 }));
  t.true(fires({ text: 'Hi', after: 0 }, { time: 0 }), 'page patterns alone: on arrival');
  t.false(fires({ text: 'Hi', scroll: 50 }, { time: 60_000 }));
});

test('scrolling fires past the set share of the page, measured at the bottom of the viewport', (t) => {
  t.is(scrolledShare(0, 800, 4000), 0.2);
  t.is(scrolledShare(1200, 800, 4000), 0.5);
  t.is(scrolledShare(5000, 800, 4000), 1, 'overscroll is capped');
  t.is(scrolledShare(0, 800, 600), 1, 'a page that fits is all seen');
  t.false(fires({ text: 'Hi', scroll: 50 }, { scrolled: scrolledShare(1100, 800, 4000) }));
  t.true(fires({ text: 'Hi', scroll: 50 }, { scrolled: scrolledShare(1200, 800, 4000) }));
  t.false(fires({ text: 'Hi', after: 5 }, { scrolled: 1 }), 'scrolling is not a trigger here');
});

test('exit intent: a fine pointer leaving through the top edge to nowhere', (t) => {
  t.true(isExitIntent({ clientY: -3, relatedTarget: null }, true));
  t.true(isExitIntent({ clientY: 0, relatedTarget: null }, true));
  t.false(isExitIntent({ clientY: 400, relatedTarget: null }, true), 'leaving through the side or bottom');
  t.false(isExitIntent({ clientY: -3, relatedTarget: {} }, true), 'moving onto another element');
  t.false(isExitIntent({ clientY: -3, relatedTarget: null }, false), 'a touch screen has no exit gesture');
  t.true(fires({ text: 'Hi', exit: true }, { exit: true }));
  t.false(fires({ text: 'Hi', after: 5 }, { exit: true }));
});

test('at most once per visit, never again after a close, per subscriber', (t) => {
  const session = memoryStore();
  const local = memoryStore();
  const gate = inviteGate('acme', session, local);
  t.true(gate.allowed());
  gate.shown();
  t.false(gate.allowed(), 'shown this visit');
  t.true(inviteGate('acme', memoryStore(), local).allowed(), 'a new visit (new session storage) may show it again');
  t.true(inviteGate('other', session, local).allowed(), "another subscriber's invitation is apart");
  gate.closed();
  t.false(inviteGate('acme', memoryStore(), local).allowed(), 'closed: never again, in any later visit');
});

test('an opened invitation converts once; blocked storage neither throws nor converts', (t) => {
  const session = memoryStore();
  const gate = inviteGate('acme', session, memoryStore());
  t.false(gate.takeConversion(), 'not opened: a call-back is no conversion');
  gate.opened();
  t.true(inviteGate('acme', session, null).takeConversion(), 'seen from another page of the same visit');
  t.false(gate.takeConversion(), 'counted once');
  const blocked = inviteGate('acme', memoryStore(true), memoryStore(true));
  t.notThrows(() => { blocked.shown(); blocked.closed(); blocked.opened(); });
  t.true(blocked.allowed());
  t.false(blocked.takeConversion());
});
