import test from 'ava';
import { DICTS, LANGUAGES, pickLanguage, translator, type MessageKey } from '../../src/widget/client/i18n.ts';
import { CALL_DICTS, callTranslator } from '../../src/widget/client/call/call-i18n.ts';
import { skinSchema, DEFAULT_SKIN } from '../../src/subscribers/settings.ts';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test('every language has every key, none empty, none left in English, with the same placeholders', (t) => {
  const keys = Object.keys(DICTS.en) as MessageKey[];
  t.true(keys.length > 40);
  t.deepEqual(Object.keys(DICTS).sort(), [...LANGUAGES].sort(), 'one dictionary per offered language');
  for (const lang of LANGUAGES) {
    const dict = DICTS[lang] as Record<string, string>;
    t.deepEqual(Object.keys(dict).sort(), [...keys].sort(), `${lang}: keys`);
    for (const k of keys) {
      t.true(typeof dict[k] === 'string' && dict[k]!.trim().length > 0, `${lang}.${k} is empty`);
      t.deepEqual(placeholders(dict[k]!), placeholders(DICTS.en[k]), `${lang}.${k}: placeholders`);
    }
    if (lang === 'en') continue;
    // A copy of the English sentence is an untranslated string (short shared words such as "Message" aside).
    const copied = keys.filter((k) => dict[k] === DICTS.en[k] && DICTS.en[k].length > 12);
    t.deepEqual(copied, [], `${lang}: still in English`);
  }
});

test('the call panel speaks every language the widget speaks, every key translated, same placeholders', (t) => {
  const keys = Object.keys(CALL_DICTS.en) as (keyof typeof CALL_DICTS.en)[];
  t.deepEqual(Object.keys(CALL_DICTS).sort(), [...LANGUAGES].sort());
  for (const lang of LANGUAGES) {
    const dict = CALL_DICTS[lang] as Record<string, string>;
    t.deepEqual(Object.keys(dict).sort(), [...keys].sort(), `${lang}: keys`);
    for (const k of keys) {
      t.true(typeof dict[k] === 'string' && dict[k]!.trim().length > 0, `${lang}.${k} is empty`);
      t.deepEqual(placeholders(dict[k]!), placeholders(CALL_DICTS.en[k]), `${lang}.${k}: placeholders`);
    }
    if (lang === 'en') continue;
    t.deepEqual(keys.filter((k) => dict[k] === CALL_DICTS.en[k]), [], `${lang}: still in English`);
  }
  t.is(callTranslator('fr')('phase_connected', { name: 'Acme' }), 'En ligne avec Acme.');
  t.is(callTranslator('xx')('hangup'), 'Hang up');
});

test('each offered language is what the widget then speaks; the portal validates exactly that list', (t) => {
  for (const lang of LANGUAGES) {
    t.is(pickLanguage([lang]), lang);
    t.true(skinSchema.shape.language.safeParse(lang).success, `${lang} accepted by the skin form`);
  }
  t.false(skinSchema.shape.language.safeParse('ja').success, 'a language without words is not offered');
  t.is(translator('de')('connecting', { name: 'Bäckerei' }), 'Sie haben abgenommen. Wir verbinden Sie mit Bäckerei…');
  t.is(translator('pt')('usualWait', { minutes: 5 }), 'Costumamos retornar em cerca de 5 min.');
  t.is(DEFAULT_SKIN.language, 'en');
});
