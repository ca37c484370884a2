import * as crypto from 'node:crypto';

/**
 * SHA-256 in one call. crypto.hash (Node 20.12 and later) makes no Hash object: about a fifth of the CPU of
 * createHash().update().digest() for the short strings hashed on the accept path (rate-limit keys, the API
 * credential, status tokens). Older Node gets createHash; the digests are the same.
 */
type OneShot = (algorithm: string, data: string, outputEncoding: 'hex' | 'base64url') => string;
const oneShot = (crypto as unknown as { hash?: OneShot }).hash;

export function sha256Base64url(data: string): string {
  return oneShot ? oneShot('sha256', data, 'base64url') : crypto.createHash('sha256').update(data).digest('base64url');
}

export function sha256Bytes(data: string): Buffer {
  return oneShot ? Buffer.from(oneShot('sha256', data, 'hex'), 'hex') : crypto.createHash('sha256').update(data).digest();
}
