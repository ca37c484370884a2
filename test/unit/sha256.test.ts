import test from 'ava';
import { createHash } from 'node:crypto';
import { sha256Base64url, sha256Bytes } from '../../src/platform/sha256.ts';

test('the one-call SHA-256 gives createHash\'s digests', (t) => {
  for (const s of ['', 'a', 'Bearer-token-0123456789abcdef', 'v:visitor\u0000203.0.113.9\u0000Mozilla/5.0', 'é ü 日本 🙂', 'x'.repeat(5000)]) {
    t.is(sha256Base64url(s), createHash('sha256').update(s).digest('base64url'), JSON.stringify(s.slice(0, 20)));
    t.deepEqual(sha256Bytes(s), createHash('sha256').update(s).digest(), JSON.stringify(s.slice(0, 20)));
  }
});
