import { ValidationError } from '../platform/errors.ts';

/** Longest message, in characters: a chat line, not a letter. */
export const MAX_MESSAGE_CHARS = 2000;

/**
 * A message as stored: plain text, control characters other than line breaks and tabs removed, trimmed,
 * 1 to MAX_MESSAGE_CHARS characters. It is never HTML: every page writes it as text.
 */
export function messageBody(raw: unknown): string {
  const text = typeof raw === 'string' ? raw.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '').trim() : '';
  if (!text) throw new ValidationError([{ field: 'body', code: 'message_empty', message: 'Write a message first.' }]);
  if ([...text].length > MAX_MESSAGE_CHARS) {
    throw new ValidationError([{ field: 'body', code: 'message_too_long', message: `A message can be at most ${MAX_MESSAGE_CHARS} characters.` }]);
  }
  return text;
}

/** A short optional text field (a name): trimmed, control characters removed, cut to `max`; empty = null. */
export function shortText(raw: unknown, max: number): string | null {
  if (typeof raw !== 'string') return null;
  const t = raw.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, max);
  return t || null;
}

/** What the visitor's page is told by the service center's system messages. */
export const SYSTEM_TEXT = {
  joined: (name: string) => `${name} joined the conversation.`,
  unanswered: 'Sorry, nobody has answered yet. Leave your number and we will call you back.',
  callback: 'A call-back to your number has been requested. We will call you shortly.',
  closed: 'The conversation was closed.',
  webcall: (name: string) => `${name} invites you to talk in a web call, from your browser.`,
} as const;
