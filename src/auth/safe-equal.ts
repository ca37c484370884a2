import { timingSafeEqual } from 'node:crypto';
import { sha256Bytes } from '../platform/sha256.ts';

/**
 * Constant-time equality of two secrets. timingSafeEqual throws on buffers of different byte lengths, and a
 * string's length in characters says nothing about its length in bytes (`é` is two): compare bytes first.
 */
export function safeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const x = typeof a === 'string' ? Buffer.from(a, 'utf8') : a;
  const y = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Constant-time equality of a secret a client gave and the expected one, through their SHA-256 digests
 * (always 32 bytes, so neither length leaks).
 */
export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(sha256Bytes(given), sha256Bytes(expected));
}
