import { createHmac, randomInt } from 'node:crypto';
import { safeEqual } from '../auth/safe-equal.ts';

/** Six digits from the CSPRNG; leading zeros kept (the phone speaks each digit). */
export function generateCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

/**
 * Keyed hash bound to the verification id: a million codes are quick to try offline against a plain hash,
 * not against an HMAC whose key is not in the database.
 */
export function hashCode(secret: string, verificationId: string, code: string): Buffer {
  return createHmac('sha256', secret).update(`${verificationId}:${code}`).digest();
}

export function codeMatches(secret: string, verificationId: string, typed: string, stored: Buffer | null): boolean {
  if (!stored) return false;
  const clean = typed.replace(/\D/g, '');
  if (clean.length !== 6) return false;
  return safeEqual(hashCode(secret, verificationId, clean), stored);
}

/** What the phone hears: a moment of silence, the digits, a beep, the digits again. */
export function codeMedia(code: string): string[] {
  return ['sound:silence/1', `digits:${code}`, 'sound:beep', `digits:${code}`];
}

/** Channel ids of verification calls: outside the Dialer's bk-x- scheme, so the Dialer never routes them. */
export const verificationChannelId = (verificationId: string) => `bkver-${verificationId}`;
export const verificationPlaybackId = (verificationId: string) => `bkver-${verificationId}-code`;
const ID = /^bkver-([0-9a-f-]{36})(-code)?$/;
export function parseVerificationId(id: string): { verificationId: string; playback: boolean } | null {
  const m = ID.exec(id);
  return m ? { verificationId: m[1]!, playback: !!m[2] } : null;
}
