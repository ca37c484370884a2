import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** The status token is a bearer secret given once at creation; only its SHA-256 is stored. */
export function newStatusToken(): { token: string; hash: Buffer } {
  const token = randomBytes(24).toString('base64url');
  return { token, hash: hashToken(token) };
}

function hashToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

export function tokenMatches(token: unknown, hash: Buffer): boolean {
  if (typeof token !== 'string' || token.length === 0 || token.length > 200) return false;
  const candidate = hashToken(token);
  return candidate.length === hash.length && timingSafeEqual(candidate, hash);
}
