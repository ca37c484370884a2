import { readFileSync } from 'node:fs';
import test from 'ava';
import { CDR_TOLERANCE_SEC, compareWithCdr } from '../../src/accounting/cdr-comparison.ts';

// The recorded bridged call (test/fixtures/traces/cdr.json): visitor ANSWERED 4 s, agent ANSWERED 0 s (closed at bridge).
const trace = JSON.parse(readFileSync(new URL('../fixtures/traces/cdr.json', import.meta.url), 'utf8')) as { withMappings: Record<string, string>[] };
const [visitorCdr, agentCdr] = trace.withMappings.map((e) => ({ disposition: e.disposition!, billableSec: Number(e.billableseconds) }));

test('an answered callee whose CDR was closed at bridge time is an expected difference, not a mismatch', (t) => {
  // Beckon billed the agent from answer to the end of the call (about the visitor's talk time).
  const r = compareWithCdr({ leg: 'callee', disposition: 'ANSWERED', billableSec: 5 }, agentCdr!);
  t.is(r.verdict, 'expected');
  t.regex(r.note, /bridged/);
  t.is(compareWithCdr({ leg: 'callee', disposition: 'ANSWERED', billableSec: 600 }, { disposition: 'ANSWERED', billableSec: 3 }).verdict, 'expected');
});

test('rounding up against truncation, and event timing within the tolerance, is a match', (t) => {
  t.is(compareWithCdr({ leg: 'visitor', disposition: 'ANSWERED', billableSec: 5 }, visitorCdr!).verdict, 'match');
  t.is(compareWithCdr({ leg: 'visitor', disposition: 'ANSWERED', billableSec: 4 }, visitorCdr!).verdict, 'match');
  t.is(compareWithCdr({ leg: 'visitor', disposition: 'ANSWERED', billableSec: 4 + 1 + CDR_TOLERANCE_SEC }, visitorCdr!).verdict, 'match');
  t.is(compareWithCdr({ leg: 'visitor', disposition: 'ANSWERED', billableSec: 4 - CDR_TOLERANCE_SEC }, visitorCdr!).verdict, 'match');
  t.is(compareWithCdr({ leg: 'callee', disposition: 'BUSY', billableSec: 0 }, { disposition: 'BUSY', billableSec: 0 }).verdict, 'match');
});

test('a visitor leg apart beyond rounding, a callee CDR longer than billed, or another disposition is a mismatch', (t) => {
  t.is(compareWithCdr({ leg: 'visitor', disposition: 'ANSWERED', billableSec: 4 + 2 + CDR_TOLERANCE_SEC }, visitorCdr!).verdict, 'mismatch');
  t.is(compareWithCdr({ leg: 'visitor', disposition: 'ANSWERED', billableSec: 1 }, { disposition: 'ANSWERED', billableSec: 40 }).verdict, 'mismatch');
  t.is(compareWithCdr({ leg: 'callee', disposition: 'ANSWERED', billableSec: 1 }, { disposition: 'ANSWERED', billableSec: 40 }).verdict, 'mismatch');
  const busy = compareWithCdr({ leg: 'callee', disposition: 'BUSY', billableSec: 0 }, { disposition: 'ANSWERED', billableSec: 11 });
  t.is(busy.verdict, 'mismatch');
  t.regex(busy.note, /Asterisk says ANSWERED, Beckon BUSY/);
});

test('no CDR yet is missing', (t) => {
  t.is(compareWithCdr({ leg: 'visitor', disposition: 'ANSWERED', billableSec: 3 }, { disposition: null, billableSec: null }).verdict, 'missing');
});
