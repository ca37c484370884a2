import test from 'ava';
import { hostOfPageUrl, normalizeHost, ownerCandidates, parseDomainPattern, patternsOverlap, pickOwner } from '../../src/subscribers/domain-match.ts';

test('normalizeHost lowercases, drops port and trailing dot, punycodes IDN, refuses junk', (t) => {
  t.is(normalizeHost('Shop.Example.COM'), 'shop.example.com');
  t.is(normalizeHost('shop.example.com:8443'), 'shop.example.com');
  t.is(normalizeHost('shop.example.com.'), 'shop.example.com');
  t.is(normalizeHost('bücher.example'), 'xn--bcher-kva.example');
  t.is(normalizeHost('127.0.0.1'), '127.0.0.1');
  t.is(normalizeHost('localhost'), 'localhost');
  for (const bad of ['', 'intranet', 'a b.com', 'user@evil.com', 'evil.com/path', '-bad.com', '999.1.1.1', 'x'.repeat(300)]) t.is(normalizeHost(bad), null, bad);
});

test('parseDomainPattern accepts hosts and wildcards under a real domain, strips scheme and path', (t) => {
  t.deepEqual(parseDomainPattern('https://Shop.Example.com/page'), { ok: true, pattern: { kind: 'exact', host: 'shop.example.com' } });
  t.deepEqual(parseDomainPattern('*.example.com'), { ok: true, pattern: { kind: 'wildcard', host: '*.example.com', base: 'example.com' } });
  t.deepEqual(parseDomainPattern('*.shop.co.uk'), { ok: true, pattern: { kind: 'wildcard', host: '*.shop.co.uk', base: 'shop.co.uk' } });
  for (const bad of ['*.com', '*.co.uk', '*.com.au', '*.localhost', '*.127.0.0.1', '**.example.com', 'exa mple.com']) t.false(parseDomainPattern(bad).ok, bad);
});

test('owner candidates go from the exact host to the broadest wildcard', (t) => {
  t.deepEqual(ownerCandidates('a.b.example.com'), ['a.b.example.com', '*.b.example.com', '*.example.com']);
  t.deepEqual(ownerCandidates('example.com'), ['example.com']);
  t.deepEqual(ownerCandidates('10.0.0.1'), ['10.0.0.1']);
});

test('pickOwner: exact beats wildcard, longer wildcard beats shorter, example.com is not *.example.com', (t) => {
  const rows = [{ host: '*.example.com', id: 'A' }, { host: '*.shop.example.com', id: 'B' }, { host: 'x.shop.example.com', id: 'C' }];
  t.is(pickOwner('x.shop.example.com', rows)?.id, 'C');
  t.is(pickOwner('y.shop.example.com', rows)?.id, 'B');
  t.is(pickOwner('blog.example.com', rows)?.id, 'A');
  t.is(pickOwner('example.com', rows), null);
  t.is(pickOwner('notexample.com', rows), null);
});

test('patternsOverlap finds shared hosts between patterns', (t) => {
  t.true(patternsOverlap('*.example.com', 'shop.example.com'));
  t.true(patternsOverlap('a.b.example.com', '*.example.com'));
  t.true(patternsOverlap('*.example.com', '*.b.example.com'));
  t.false(patternsOverlap('*.example.com', 'example.com'));
  t.false(patternsOverlap('*.example.com', 'shop.notexample.com'));
  t.false(patternsOverlap('shop.example.com', 'blog.example.com'));
});

test('hostOfPageUrl: only http(s) page URLs', (t) => {
  t.is(hostOfPageUrl('https://Shop.Example.com:443/a?b#c'), 'shop.example.com');
  t.is(hostOfPageUrl('http://127.0.0.1:3000/some/page'), '127.0.0.1');
  t.is(hostOfPageUrl('javascript:alert(1)'), null);
  t.is(hostOfPageUrl('ftp://example.com/'), null);
  t.is(hostOfPageUrl('not a url'), null);
});
