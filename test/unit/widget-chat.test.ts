import test from 'ava';
import { addMessage, authorLabel, EMPTY, insertAt, readKept, startBody, type ChatMessage } from '../../src/widget/client/chat/chat-state.ts';

const msg = (seq: number, o: Partial<ChatMessage> = {}): ChatMessage =>
  ({ id: `m${seq}`, seq, author: 'visitor', authorName: null, kind: null, body: `text ${seq}`, createdAt: '2026-01-01T00:00:00Z', ...o });

test('messages are kept once each, in number order, whatever order and however often they arrive', (t) => {
  let v = EMPTY;
  for (const s of [2, 1, 3, 2, 1]) v = addMessage(v, msg(s));
  t.deepEqual(v.messages.map((m) => m.seq), [1, 2, 3]);
  t.is(v.lastSeq, 3);
  t.is(addMessage(v, msg(2)), v, 'a number already held changes nothing (no redraw)');
  t.is(addMessage(v, msg(0)), v, 'no number, no message');
});

test('a webcall invitation offers Call now until the conversation closes', (t) => {
  let v = addMessage(EMPTY, msg(1));
  t.false(v.webcallInvited);
  v = addMessage(v, msg(2, { author: 'system', kind: 'webcall' }));
  t.true(v.webcallInvited);
  v = addMessage(v, msg(3, { author: 'agent', authorName: 'Ann' }));
  t.true(v.webcallInvited, 'later messages keep the offer');
  v = addMessage(v, msg(4, { author: 'system', kind: 'closed' }));
  t.true(v.closed);
  t.false(v.webcallInvited);
});

test('insertAt places a late message before the first higher number', (t) => {
  t.is(insertAt([], 5), 0);
  t.is(insertAt([1, 2, 4], 3), 2);
  t.is(insertAt([1, 2, 4], 9), 3);
});

test('authorLabel: the visitor is "you", the team by name or "Team", system lines by nobody', (t) => {
  t.is(authorLabel(msg(1), 'You', 'Team'), 'You');
  t.is(authorLabel(msg(1, { author: 'agent', authorName: 'Ann' }), 'You', 'Team'), 'Ann');
  t.is(authorLabel(msg(1, { author: 'owner' }), 'You', 'Team'), 'Team');
  t.is(authorLabel(msg(1, { author: 'system' }), 'You', 'Team'), null);
});

test('startBody names the subscriber always; a call-back of this visit links the conversation instead of a form token', (t) => {
  const base = { slug: 'acme', department: 'd1', name: 'Eve', body: 'hi', pageUrl: 'https://acme.test/p', referrer: 'https://search.test/', formToken: 'ft', website: '' };
  t.deepEqual(startBody(base), {
    subscriber: 'acme', body: 'hi', website: '', formToken: 'ft', name: 'Eve', department: 'd1', pageUrl: 'https://acme.test/p', referrer: 'https://search.test/',
  });
  t.deepEqual(startBody({ ...base, request: { id: 'r1', token: 'tok' } }), { subscriber: 'acme', body: 'hi', website: '', requestId: 'r1', requestToken: 'tok' });
  t.is(startBody({ ...base, referrer: '', name: '' }).referrer, undefined);
});

test('readKept resumes only this subscriber\'s conversation', (t) => {
  const raw = JSON.stringify({ slug: 'acme', id: 'c1', token: 'k' });
  t.deepEqual(readKept(raw, 'acme'), { slug: 'acme', id: 'c1', token: 'k' });
  t.is(readKept(raw, 'other'), null);
  t.is(readKept('not json', 'acme'), null);
  t.is(readKept(null, 'acme'), null);
});

test('the chat chunk is apart from the widget, named by its hash and imported by that name', async (t) => {
  const { buildWidgetBundle, bundleFile } = await import('../../src/widget/widget-bundle.ts');
  const b = await buildWidgetBundle();
  t.regex(b.chat.file, /^chat-[0-9a-f]{16}\.js$/);
  t.true(b.code.includes(b.chat.file));
  t.false(b.code.includes('bkm-log'), "the chat's view and styles stay out of the first load");
  t.regex(b.chat.code, /export\s*\{[^}]*runChat/);
  t.is(bundleFile(b, b.chat.file), b.chat);
  t.log(`chat chunk ${b.chat.code.length} B raw, ${b.chat.gzipBytes} B gzipped`);
});

test('the chat speaks every language of the widget, English when it does not know the language', async (t) => {
  const { chatTranslator, CHAT_DICTS } = await import('../../src/widget/client/chat/chat-i18n.ts');
  const { LANGUAGES } = await import('../../src/widget/client/i18n.ts');
  t.deepEqual(Object.keys(CHAT_DICTS).sort(), [...LANGUAGES].sort());
  for (const lang of LANGUAGES) for (const v of Object.values(CHAT_DICTS[lang])) t.true(v.trim().length > 0, lang);
  t.is(chatTranslator('fr')('send'), 'Envoyer');
  t.is(chatTranslator('xx')('callNow'), 'Call now');
});
