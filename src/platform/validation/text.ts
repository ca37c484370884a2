/**
 * Control characters in user input (pure). C0 controls other than tab, LF and CR, DEL and the C1 block are
 * never part of legitimate text: NUL alone breaks PostgreSQL text (22021) and SIP headers.
 */
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
const CONTROL_ALL = /[\u0000-\u001F\u007F-\u009F\u2028\u2029]/g;

/** True when text holds a control character that no field accepts (tab, LF and CR are allowed in text areas). */
export function hasControlChars(s: string): boolean {
  return CONTROL.test(s);
}

/** One line of text: every control character, line breaks and tabs included, becomes a space; runs collapse. */
export function singleLine(s: string): string {
  return s.replace(CONTROL_ALL, ' ').replace(/ {2,}/g, ' ');
}

/** Every control character (line breaks and tabs too) replaced by a space; nothing else changed. */
export function withoutControlChars(s: string): string {
  return s.replace(CONTROL_ALL, ' ');
}

/**
 * Text that goes into SIP (caller-id names and numbers, channel variables): no control characters at all (CR/LF
 * would start a new header line) and none of the characters that delimit a caller id (`"`, `<`, `>`, `\`).
 */
export function sipSafe(s: string): string {
  return s.replace(CONTROL_ALL, ' ').replace(/["<>\\]/g, '').replace(/ {2,}/g, ' ').trim();
}
