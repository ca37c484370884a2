import test from 'ava';
import { DEFAULT_INVITATION, invitationFromSettings, inviteForPage, parseInvitationForm } from '../../src/invitations/invitation-settings.ts';
import { MAX_MATCHED_PATH, MAX_PATTERN_LENGTH, MAX_PATTERNS, pageMatches, patternProblem } from '../../src/invitations/url-pattern.ts';
import { buildDirectory } from '../../src/directory/directory.service.ts';

test('page patterns: * within a segment, ** across segments, optional trailing slash, no query', (t) => {
  const m = (p: string, url: string) => pageMatches([p], url);
  t.true(m('/pricing', 'https://shop.test/pricing'));
  t.true(m('/pricing', 'https://shop.test/pricing/?utm=x#top'));
  t.true(m('/pricing/', 'https://shop.test/pricing'));
  t.false(m('/pricing', 'https://shop.test/pricing/eu'));
  t.true(m('/shop/*', 'https://shop.test/shop/shoes'));
  t.false(m('/shop/*', 'https://shop.test/shop/shoes/red'));
  t.true(m('/shop/**', 'https://shop.test/shop/shoes/red'));
  t.true(m('/*/checkout', 'https://shop.test/fr/checkout'));
  t.true(m('/', 'https://shop.test/'));
  t.false(m('/', 'https://shop.test/about'));
  t.true(m('/a.b', 'https://shop.test/a.b'));
  t.false(m('/a.b', 'https://shop.test/axb'), 'a dot is literal');
  t.true(m('/café', 'https://shop.test/caf%C3%A9'), 'escaped paths match their plain form');
  t.false(pageMatches([], 'https://shop.test/'), 'no pattern, no match');
  t.false(m('/x', 'not a url'));
});

/** The patterns' meaning as a regular expression: the reference the matcher is held to, on short inputs only. */
function referenceMatch(pattern: string, path: string): boolean {
  const trim = (p: string) => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p);
  const body = trim(pattern).split(/(\*\*|\*)/).map((part) =>
    part === '**' ? '[^]*' : part === '*' ? '[^/]*' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&')).join('');
  return new RegExp(`^${body}$`).test(trim(path));
}

test('page patterns: the matcher agrees with the patterns as regular expressions', (t) => {
  let seed = 7;
  const rand = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return Math.floor(seed / 65536) % n; };
  const pick = (alphabet: string[], most: number) => Array.from({ length: rand(most + 1) }, () => alphabet[rand(alphabet.length)]).join('');
  let matched = 0;
  for (let i = 0; i < 4000; i++) {
    const pattern = `/${pick(['a', 'b', '/', '.', '*', '**'], 7)}`.replace(/\*{3,}/g, '**');
    const url = new URL(`https://shop.test/${pick(['a', 'b', '/', '.'], 9)}`); // dot segments resolved
    const expected = referenceMatch(pattern, url.pathname);
    if (expected) matched++;
    if (pageMatches([pattern], url.href) !== expected) { t.fail(`${pattern} on ${url.pathname}: expected ${expected}`); return; }
  }
  t.true(matched > 400, 'the sample holds matches as well as misses');
});

test('page patterns: the worst pattern on the longest path is matched at once, never backtracking', (t) => {
  // Each of these freezes a backtracking regular expression for minutes or more on such a path.
  const saved = '/**a**a**a**c'; // the most wildcards a pattern may be saved with
  t.is(patternProblem(saved), null);
  const stored = `/${'**a'.repeat(66)}`.slice(0, MAX_PATTERN_LENGTH); // a pattern stored without the wildcard cap
  const pathOf = (length: number) => `/${'a'.repeat(length - 2)}b`;
  const url = `https://shop.test${pathOf(MAX_MATCHED_PATH)}`;
  const started = performance.now();
  t.false(pageMatches(Array(MAX_PATTERNS).fill(saved), url));
  t.false(pageMatches(Array(MAX_PATTERNS).fill(stored), url));
  t.false(pageMatches(Array(MAX_PATTERNS).fill(stored), `https://shop.test/${'%C3%A9'.repeat(340)}`), 'raw and decoded paths');
  t.true(pageMatches(['/**a**a**a**b'], url), 'and it still matches');
  t.false(pageMatches(['/**'], `https://shop.test${pathOf(MAX_MATCHED_PATH + 1)}`), 'a longer path matches nothing');
  t.false(pageMatches(Array(MAX_PATTERNS).fill(stored), `https://shop.test${pathOf(20_000)}`));
  const ms = performance.now() - started;
  t.true(ms < 1000, `took ${Math.round(ms)} ms`);
});

test('page patterns are validated', (t) => {
  t.is(patternProblem('/shop/**'), null);
  t.regex(patternProblem('shop')!, /starts with \//);
  t.regex(patternProblem('/a b')!, /character/);
  t.regex(patternProblem('/a?b=1')!, /character/);
  t.regex(patternProblem('/a"<script>')!, /character/);
  t.regex(patternProblem('/***')!, /two \*/);
  t.regex(patternProblem(`/${'a'.repeat(200)}`)!, /longer/);
  t.is(patternProblem('/*/shop/**/item-*/*'), null, 'four wildcards');
  t.regex(patternProblem('/*/shop/**/item-*/*/x/*')!, /more than 4 wildcards/);
  t.regex(patternProblem('/**a**a**a**a**a**a**a**a**b')!, /more than 4 wildcards/);
});

test('the portal form: on with a text and a trigger; numbers in range; patterns checked', (t) => {
  const ok = parseInvitationForm({ enabled: 'on', text: '  Questions?   We call you  back. ', delaySec: '20', scrollPercent: '', exitIntent: 'on', urlPatterns: '/pricing\r\n\r\n/shop/*\n/pricing' });
  t.deepEqual(ok, { ok: true, value: { enabled: true, text: 'Questions? We call you back.', delaySec: 20, exitIntent: true, scrollPercent: null, urlPatterns: ['/pricing', '/shop/*'] } });
  const fields = (body: Record<string, unknown>) => { const r = parseInvitationForm(body); return r.ok ? [] : r.errors.map((e) => e.field); };
  t.deepEqual(fields({ enabled: 'on', text: '', delaySec: '5' }), ['text']);
  t.deepEqual(fields({ enabled: 'on', text: 'Hi' }), ['enabled'], 'on needs a trigger');
  t.deepEqual(fields({ enabled: 'on', text: 'Hi', urlPatterns: '/pricing' }), [], 'page patterns alone are a trigger');
  t.deepEqual(fields({ enabled: 'on', text: 'Hi', delaySec: '0' }), ['delaySec']);
  t.deepEqual(fields({ enabled: 'on', text: 'Hi', delaySec: '2.5' }), ['delaySec']);
  t.deepEqual(fields({ enabled: 'on', text: 'Hi', delaySec: '3601' }), ['delaySec']);
  t.deepEqual(fields({ enabled: 'on', text: 'Hi', scrollPercent: '5' }), ['scrollPercent']);
  t.deepEqual(fields({ enabled: 'on', text: 'Hi', scrollPercent: '101' }), ['scrollPercent']);
  t.deepEqual(fields({ enabled: 'on', text: 'x'.repeat(141), delaySec: '5' }), ['text']);
  t.deepEqual(fields({ enabled: 'on', text: 'Hi', urlPatterns: 'pricing' }), ['urlPatterns']);
  const tooWild = parseInvitationForm({ enabled: 'on', text: 'Hi', urlPatterns: '/ok\n/**a**a**a**a**b' });
  t.deepEqual(tooWild.ok ? null : tooWild.errors, [{ field: 'urlPatterns', code: 'invalid', message: 'The pattern "/**a**a**a**a**b" has more than 4 wildcards (* or **).' }]);
  t.deepEqual(fields({ enabled: 'on', text: 'Hi', urlPatterns: Array.from({ length: 21 }, (_, i) => `/p${i}`).join('\n') }), ['urlPatterns']);
  t.true(parseInvitationForm({ text: '' }).ok, 'off may be saved empty');
});

test('stored settings read field by field over the defaults', (t) => {
  t.deepEqual(invitationFromSettings({}), DEFAULT_INVITATION);
  t.deepEqual(invitationFromSettings({ invitation: 'junk' }), DEFAULT_INVITATION);
  const inv = invitationFromSettings({ invitation: { enabled: true, text: 'Hi', delaySec: 99999, scrollPercent: 50, exitIntent: 'yes', urlPatterns: ['/ok', 'bad', 7] } });
  t.deepEqual(inv, { enabled: true, text: 'Hi', delaySec: null, exitIntent: false, scrollPercent: 50, urlPatterns: ['/ok'] });
  t.false(invitationFromSettings({ invitation: { enabled: true, text: '' } }).enabled, 'no text, no invitation');
  t.deepEqual(invitationFromSettings({ invitation: { urlPatterns: ['/**a**a**a**a**b'] } }).urlPatterns, ['/**a**a**a**a**b'],
    'a stored pattern with more wildcards than may be saved is still matched, not dropped (that would mean every page)');
});

test('the widget is sent a compact invitation, only when on and for matching pages', (t) => {
  const base = { ...DEFAULT_INVITATION, enabled: true, text: 'Hi' };
  t.is(inviteForPage({ ...base, enabled: false, delaySec: 5 }, 'https://s.test/'), null);
  t.deepEqual(inviteForPage({ ...base, delaySec: 5, exitIntent: true }, 'https://s.test/'), { text: 'Hi', after: 5, exit: true });
  t.deepEqual(inviteForPage({ ...base, scrollPercent: 40, urlPatterns: ['/shop/**'] }, 'https://s.test/shop/a/b'), { text: 'Hi', scroll: 40 });
  t.is(inviteForPage({ ...base, scrollPercent: 40, urlPatterns: ['/shop/**'] }, 'https://s.test/blog'), null);
  t.deepEqual(inviteForPage({ ...base, urlPatterns: ['/pricing'] }, 'https://s.test/pricing'), { text: 'Hi', after: 0 }, 'patterns alone: on arrival');
});

test('the directory carries the invitation for the page asked about, and nothing when off', (t) => {
  const entry = {
    subscriber: {
      id: '00000000-0000-4000-8000-000000000001', slug: 'acme', name: 'Acme', country: 'FR', timezone: 'UTC', status: 'active',
      phoneE164: '+33144556677', phoneVerifiedAt: new Date(),
      settings: { invitation: { enabled: true, text: 'Need help?', delaySec: 15, urlPatterns: ['/pricing'] } },
    },
    departments: [], agents: [],
  } as any;
  const now = new Date('2026-01-05T12:00:00Z');
  t.deepEqual(buildDirectory(entry, now, null, false, 'https://acme.test/pricing').invite, { text: 'Need help?', after: 15 });
  t.false('invite' in buildDirectory(entry, now, null, false, 'https://acme.test/blog'));
  t.false('invite' in buildDirectory(entry, now));
});
