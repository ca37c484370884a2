import test from 'ava';
import { messageBody, shortText, MAX_MESSAGE_CHARS } from '../../src/chat/chat-text.ts';
import { lastSeenSeq } from '../../src/chat/conversation-events.ts';
import { ValidationError } from '../../src/platform/errors.ts';

const codeOf = (f: () => unknown) => { try { f(); return null; } catch (e) { return (e as ValidationError).fields?.[0]?.code; } };

test('a message is plain text: trimmed, line breaks kept as \\n, control characters dropped, markup kept as typed', (t) => {
  t.is(messageBody('  Hello\r\nthere\u0007  '), 'Hello\nthere');
  t.is(messageBody('<script>alert(1)</script>'), '<script>alert(1)</script>');
  t.is(messageBody('tab\there'), 'tab\there');
});

test('a message has 1 to 2000 characters, counted as characters (not UTF-16 units)', (t) => {
  t.is(codeOf(() => messageBody('')), 'message_empty');
  t.is(codeOf(() => messageBody(' \n\t ')), 'message_empty');
  t.is(codeOf(() => messageBody(42)), 'message_empty');
  t.is(messageBody('x'.repeat(MAX_MESSAGE_CHARS)).length, MAX_MESSAGE_CHARS);
  t.is(codeOf(() => messageBody('x'.repeat(MAX_MESSAGE_CHARS + 1))), 'message_too_long');
  const emoji = '😀'.repeat(MAX_MESSAGE_CHARS);
  t.is(messageBody(emoji), emoji);
});

test('short texts (a name) are one line, cut to their length; empty is null', (t) => {
  t.is(shortText('  Vera\nVisitor ', 80), 'VeraVisitor');
  t.is(shortText('x'.repeat(100), 80), 'x'.repeat(80));
  t.is(shortText('   ', 80), null);
  t.is(shortText(undefined, 80), null);
});

test('the last message a client saw: Last-Event-ID first, then ?after=, else 0; nonsense is 0', (t) => {
  const ctx = (h: string, after?: string) => ({ get: (n: string) => (n === 'last-event-id' ? h : ''), query: after === undefined ? {} : { after } });
  t.is(lastSeenSeq(ctx('7', '3')), 7);
  t.is(lastSeenSeq(ctx('', '3')), 3);
  t.is(lastSeenSeq(ctx('')), 0);
  t.is(lastSeenSeq(ctx('-1')), 0);
  t.is(lastSeenSeq(ctx('1.5')), 0);
  t.is(lastSeenSeq(ctx('99999999999')), 0);
});
