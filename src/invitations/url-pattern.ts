/**
 * The page patterns of an invitation, glob-like over a URL's path: `*` is any run of characters within one path
 * segment, `**` any run across segments, everything else is literal; a trailing slash is optional on both sides
 * and the query and fragment are never looked at. Pure.
 */

/** Characters a pattern may hold: a path's own (RFC 3986 pchar, `/`) and `*`. */
const PATTERN_CHARS = /^[A-Za-z0-9\-._~!$&'()+,;=:@%/*]+$/;

export const MAX_PATTERN_LENGTH = 200;
export const MAX_PATTERNS = 20;

/** Why `pattern` is not a valid page pattern, or null when it is. */
export function patternProblem(pattern: string): string | null {
  if (!pattern.startsWith('/')) return 'starts with / (a path on your site, like /pricing or /shop/*)';
  if (pattern.length > MAX_PATTERN_LENGTH) return `is longer than ${MAX_PATTERN_LENGTH} characters`;
  if (!PATTERN_CHARS.test(pattern)) return 'holds a character a path cannot (spaces, ?, #, quotes…)';
  if (pattern.includes('***')) return 'has more than two * in a row';
  return null;
}

const trimSlash = (p: string): string => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p);

function compile(pattern: string): RegExp {
  const body = trimSlash(pattern).split(/(\*\*|\*)/).map((part) =>
    part === '**' ? '.*' : part === '*' ? '[^/]*' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&')).join('');
  return new RegExp(`^${body}$`);
}

/** Whether the path of `pageUrl` matches one of `patterns` (valid ones; see patternProblem). */
export function pageMatches(patterns: readonly string[], pageUrl: string): boolean {
  let path: string;
  try { path = trimSlash(new URL(pageUrl).pathname); } catch { return false; }
  let decoded = path;
  try { decoded = decodeURI(path); } catch { /* malformed escapes: match the raw path only */ }
  return patterns.some((p) => { const re = compile(p); return re.test(path) || re.test(decoded); });
}
