import { randomFillSync, timingSafeEqual } from 'node:crypto';
import { sha256Bytes } from '../platform/sha256.ts';

const TOKEN_BYTES = 24;
/**
 * Token bytes come from a pool refilled by one call to the CSPRNG for 256 tokens: a call per token cost a
 * measurable share of the accept path's CPU. Each token takes its own slice once; nothing is reused.
 */
const pool = Buffer.alloc(TOKEN_BYTES * 256);
let used = pool.length;

/** The status token is a bearer secret given once at creation; only its SHA-256 is stored. */
export function newStatusToken(): { token: string; hash: Buffer } {
  if (used === pool.length) { randomFillSync(pool); used = 0; }
  const token = pool.toString('base64url', used, used + TOKEN_BYTES);
  used += TOKEN_BYTES;
  return { token, hash: hashToken(token) };
}

function hashToken(token: string): Buffer {
  return sha256Bytes(token);
}

export function tokenMatches(token: unknown, hash: Buffer): boolean {
  if (typeof token !== 'string' || token.length === 0 || token.length > 200) return false;
  const candidate = hashToken(token);
  return candidate.length === hash.length && timingSafeEqual(candidate, hash);
}
