import test from 'ava';
import { newStatusToken, tokenMatches } from '../../src/requests/status-token.ts';

test('status tokens: 24 random bytes as base64url, each different (across refills of the pool), matched only by their own hash', (t) => {
  const seen = new Set<string>();
  let previous: { token: string; hash: Buffer } | null = null;
  for (let i = 0; i < 1000; i++) {
    const s = newStatusToken();
    t.regex(s.token, /^[A-Za-z0-9_-]{32}$/);
    t.false(seen.has(s.token));
    seen.add(s.token);
    t.true(tokenMatches(s.token, s.hash));
    if (previous) t.false(tokenMatches(previous.token, s.hash));
    previous = s;
  }
  t.false(tokenMatches('', previous!.hash));
  t.false(tokenMatches('x'.repeat(201), previous!.hash));
});
