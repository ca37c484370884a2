import test from 'ava';
import { DEFAULT_PREFERENCES, preferencesFromForm } from '../../src/notices/notice-kinds.ts';
import { signUnsubscribe, unsubscribeKey, verifyUnsubscribe } from '../../src/notices/unsubscribe-token.ts';
import { createEmailTemplates } from '../../src/notices/email-templates.ts';
import { composeNotice, composePasswordReset, subjectOf } from '../../src/notices/notice-mail.ts';

const key = unsubscribeKey('a-test-secret-that-is-long-enough-0123');
const id = '7b1c2f0e-8a7d-4c4e-9a55-0f1e2d3c4b5a';

test('an unsubscribe token names one owner and one event, and only verifies unaltered under its own key', (t) => {
  const token = signUnsubscribe(key, { subscriberId: id, kind: 'missed' });
  t.deepEqual(verifyUnsubscribe(key, token), { subscriberId: id, kind: 'missed' });
  t.is(verifyUnsubscribe(key, token.replace('.missed.', '.digest.')), null, 'another event');
  t.is(verifyUnsubscribe(key, token.replace(id.slice(0, 8), 'aaaaaaaa')), null, 'another owner');
  t.is(verifyUnsubscribe(unsubscribeKey('another-secret-that-is-long-enough-012'), token), null, 'another installation');
  t.is(verifyUnsubscribe(key, `${token}.x`), null);
  t.is(verifyUnsubscribe(key, undefined), null);
  t.is(verifyUnsubscribe(key, `${id}.nonsense.sig`), null);
});

test('defaults: missed call-backs and a webhook turned off; a settings form turns on exactly the boxes it sends', (t) => {
  t.deepEqual(DEFAULT_PREFERENCES, { new_request: false, missed: true, digest: false, chat_unanswered: false, webhook_disabled: true });
  t.deepEqual(preferencesFromForm({ new_request: 'on', digest: 'on', _csrf: 'x' }), { new_request: true, missed: false, digest: true, chat_unanswered: false, webhook_disabled: false });
  t.deepEqual(preferencesFromForm({}), { new_request: false, missed: false, digest: false, chat_unanswered: false, webhook_disabled: false });
});

const templates = createEmailTemplates();

test('a notice has a subject, a text part without escaping, an escaped HTML part, and the unsubscribe link in both', (t) => {
  const mail = composeNotice(templates, {
    kind: 'missed',
    payload: { requestId: id, phone: '+12025550100', visitorName: 'Tom & "Jerry"', status: 'failed', reason: 'busy', attempts: 3, createdAt: '2026-03-01T15:00:00Z', finishedAt: '2026-03-01T15:20:00Z' },
    subscriber: { name: 'Shop', timezone: 'America/Chicago' },
    publicUrl: 'https://beckon.example.com', unsubscribeUrl: 'https://beckon.example.com/notices/unsubscribe/T',
  });
  t.is(mail.subject, 'Missed call-back: Tom & "Jerry"');
  t.true(mail.text.includes('Tom & "Jerry" (+12025550100)'));
  t.true(mail.html.includes('Tom &amp; &quot;Jerry&quot;'));
  t.true(mail.text.includes('2026-03-01 09:00 (America/Chicago)'), 'times in the owner\'s zone');
  for (const part of [mail.text, mail.html]) {
    t.true(part.includes('https://beckon.example.com/notices/unsubscribe/T'));
    t.true(part.includes(`https://beckon.example.com/portal/requests/${id}`));
  }
});

test('subjects of each event', (t) => {
  t.is(subjectOf('new_request', { phone: '+12025550100' }, 'Shop'), 'New call-back request from +12025550100');
  t.is(subjectOf('new_request', { kind: 'webcall' }, 'Shop'), 'New call-back request from a web call');
  t.is(subjectOf('digest', { day: '2026-03-01', requests: 5, completed: 3, missed: 1 }, 'Shop'), 'Shop on 2026-03-01: 5 requests, 3 completed, 1 missed');
});

test('a webhook turned off: the endpoint, since when it failed and when it was turned off in the owner\'s zone, a link to its page', (t) => {
  const mail = composeNotice(templates, {
    kind: 'webhook_disabled',
    payload: { endpointId: id, url: 'https://hooks.example.com/in?a=1&b=2', failingSince: '2026-03-01T15:00:00Z', disabledAt: '2026-03-04T15:00:00Z' },
    subscriber: { name: 'Shop', timezone: 'America/Chicago' },
    publicUrl: 'https://beckon.example.com', unsubscribeUrl: 'https://beckon.example.com/notices/unsubscribe/T',
  });
  t.is(mail.subject, 'Your webhook to hooks.example.com was turned off', 'the host only: a query may carry a secret');
  t.true(mail.text.includes('https://hooks.example.com/in?a=1&b=2'));
  t.true(mail.html.includes('&amp;b'), 'the URL escaped in HTML');
  t.false(mail.html.includes('a=1&b=2'));
  t.true(mail.text.includes('since 2026-03-01 09:00 (America/Chicago)'));
  t.true(mail.text.includes('turned off at 2026-03-04 09:00 (America/Chicago)'));
  for (const part of [mail.text, mail.html]) t.true(part.includes(`https://beckon.example.com/portal/webhooks/${id}`));
});

test('a password mail has the link and no unsubscribe footer', (t) => {
  const mail = composePasswordReset(templates, { name: 'Shop', link: 'https://b.example.com/reset/abc', validHours: 24 });
  t.true(mail.text.includes('https://b.example.com/reset/abc'));
  t.true(mail.html.includes('href="https://b.example.com/reset/abc"'));
  t.false(/unsubscribe/i.test(mail.text + mail.html));
});
