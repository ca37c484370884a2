import test from 'ava';
import { checkPhone, defaultCountry, COUNTRIES } from '../../src/widget/client/phone-lite.ts';
import { contrastRatio, palette, parseHex, MIN_RATIO } from '../../src/widget/client/contrast.ts';
import { describe, groupSlots } from '../../src/widget/client/progress.ts';
import { pickLanguage, translator } from '../../src/widget/client/i18n.ts';
import { parsePhone } from '../../src/phone/phone-number.ts';

const fmt = (iso: string) => iso.slice(11, 16);

test('phone: national numbers become E.164 for the chosen country, as the server reads them', (t) => {
  const cases: [string, string][] = [
    ['(202) 555-0141', 'US'], ['1 202 555 0141', 'US'], ['06 12 34 56 78', 'FR'], ['020 7946 0958', 'GB'],
    ['030 1234567', 'DE'], ['+33 6 12 34 56 78', 'US'], ['0033 6 12 34 56 78', 'US'], ['06 123 4567', 'IT'],
  ];
  for (const [input, country] of cases) {
    const lite = checkPhone(input, country);
    t.true(lite.ok, `${input} (${country}) should pass the widget`);
    if (!lite.ok) continue;
    // What the widget sends is what the server accepts, and the same number it reads from the raw input.
    const sent = parsePhone(lite.e164, country);
    t.true(sent.ok && sent.e164 === lite.e164, `${input} (${country}) -> ${lite.e164}`);
    const raw = parsePhone(input, country);
    if (raw.ok) t.is(lite.e164, raw.e164, input);
  }
});

test('phone: the widget refuses what the server refuses for length or shape, with the same codes', (t) => {
  for (const [input, country] of [['202 555', 'US'], ['06 12 34', 'FR'], ['+33 6 12 34 56 78 99 11', 'US'], ['abc', 'US'], ['', 'US'], ['012 555 0141', 'US']] as const) {
    const lite = checkPhone(input, country);
    const server = parsePhone(input, country);
    t.false(lite.ok, input);
    t.false(server.ok, input);
    if (!lite.ok && !server.ok && server.code !== 'phone_invalid') t.is(lite.code, server.code, input);
  }
  t.deepEqual(checkPhone('', 'US'), { ok: false, code: 'phone_required' });
  t.deepEqual(checkPhone('+1 202 555', 'FR'), { ok: false, code: 'phone_too_short' });
});

test('phone: default country is the subscriber\'s, then the browser\'s region', (t) => {
  t.is(defaultCountry('fr', ['en-US']), 'FR');
  t.is(defaultCountry('XX', ['de-CH', 'en']), 'CH');
  t.is(defaultCountry(undefined, ['en']), COUNTRIES[0]![0]);
});

test('contrast: readable skin colours are kept, unreadable ones corrected to ≥ 4.5:1', (t) => {
  const ok = palette('#0b5fff', '#ffffff');
  t.false(ok.corrected);
  t.is(ok.onPrimary, '#ffffff');
  const yellow = palette('#ffeb3b', '#ffffff'); // white on yellow is ~1.2:1
  t.true(yellow.corrected);
  t.is(yellow.onPrimary, '#000000');
  for (const p of [ok, yellow, palette('#777777', '#888888'), palette('nonsense', null)]) {
    t.true(contrastRatio(parseHex(p.primary)!, parseHex(p.onPrimary)!) >= MIN_RATIO, JSON.stringify(p));
    t.true(contrastRatio(parseHex(p.accent)!, [255, 255, 255]) >= MIN_RATIO, `accent ${p.accent} on white`);
  }
  t.is(Math.round(contrastRatio([0, 0, 0], [255, 255, 255])), 21);
});

test('progress: each status and phase reads as the visitor should see it', (t) => {
  const d = (e: any) => describe(e, 'Demo Shop', fmt);
  t.like(d({ status: 'queued' }), { step: 'queued', key: 'queued', cancellable: true, final: false });
  t.like(d({ status: 'queued', estimatedWaitSec: 150 }), { key: 'queuedWait', vars: { minutes: 3 } });
  t.like(d({ status: 'scheduled', scheduledAt: '2030-01-01T14:30:00Z', attempts: [] }), { key: 'scheduledAt', vars: { when: '14:30' }, cancellable: true });
  t.like(d({ status: 'dialing', phase: null }), { step: 'calling', key: 'calling', cancellable: false });
  t.like(d({ status: 'dialing', phase: 'visitor_answered' }), { step: 'connecting', key: 'connecting' });
  t.like(d({ status: 'dialing', phase: 'calling_callee' }), { step: 'connecting' });
  t.like(d({ status: 'dialing', phase: 'connected' }), { step: 'connected' });
  t.like(d({ status: 'connected' }), { step: 'connected', key: 'connected' });
  t.like(d({ status: 'completed' }), { step: 'ended', key: 'completed', final: true });
  t.like(d({ status: 'canceled' }), { key: 'canceled', final: true });
  t.like(d({ status: 'failed', attempts: [{ n: 1, outcome: 'busy' }] }), { key: 'failed_busy', final: true });
  t.like(d({ status: 'failed', attempts: [{ n: 1, outcome: 'callee_unanswered' }] }), { key: 'failed_callee' });
  // Back to scheduled after a failed attempt: a retry, said in plain words with the time.
  const retry = d({ status: 'scheduled', scheduledAt: '2030-01-01T09:05:00Z', attempts: [{ n: 1, outcome: 'no_answer' }] });
  t.like(retry, { key: 'retryAt', vars: { when: '09:05' }, final: false });
  t.is(translator('en')(retry.key, retry.vars), 'We could not reach you. We will try again at 09:05.');
  t.is(translator('fr')('connecting', { name: 'Demo Shop' }), 'Vous avez décroché. Mise en relation avec Demo Shop…');
});

test('language: skin first, then the page, then English', (t) => {
  t.is(pickLanguage(['fr', 'en']), 'fr');
  t.is(pickLanguage([undefined, 'fr-CA', 'en-US']), 'fr');
  t.is(pickLanguage(['xx', '', 'de-AT']), 'de');
  t.is(pickLanguage(['xx', '', 'ja']), 'en', 'a language without translations falls back to English');
});

test('slots are grouped by the visitor\'s day, in order', (t) => {
  const g = groupSlots(['2030-01-01T09:00:00Z', '2030-01-01T09:30:00Z', '2030-01-02T09:00:00Z'], (iso) => iso.slice(0, 10));
  t.deepEqual(g, [{ day: '2030-01-01', slots: ['2030-01-01T09:00:00Z', '2030-01-01T09:30:00Z'] }, { day: '2030-01-02', slots: ['2030-01-02T09:00:00Z'] }]);
});
