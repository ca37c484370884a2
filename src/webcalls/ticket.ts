import { randomBytes } from 'node:crypto';
import { sha256Bytes } from '../platform/sha256.ts';

/**
 * A web-call ticket: 32 random bytes, base64url (43 characters), handed once to the browser that asked for the
 * call and sent back by it in the INVITE (X-Beckon-Ticket). It is a bearer secret: only its SHA-256 is stored, so
 * a copy of the database redeems nothing. Pure.
 */
export function newTicket(): { ticket: string; hash: Buffer } {
  const ticket = randomBytes(32).toString('base64url');
  return { ticket, hash: ticketHash(ticket) };
}

export function ticketHash(ticket: string): Buffer {
  return sha256Bytes(ticket);
}

/** The shape every issued ticket has; anything else is refused before a lookup. */
export function looksLikeTicket(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{43}$/.test(value);
}
