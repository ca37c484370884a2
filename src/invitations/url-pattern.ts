/**
 * The page patterns of an invitation, glob-like over a URL's path: `*` is any run of characters within one path
 * segment, `**` any run across segments, everything else is literal; a trailing slash is optional on both sides
 * and the query and fragment are never looked at. Pure.
 *
 * Matching is run for strangers (every directory request of a page), with patterns an owner wrote: it is done by
 * a table over (pattern part, path position), never by a backtracking regular expression, so it takes at most
 * O(path length × pattern length) steps whatever the pattern, and the path is bounded by MAX_MATCHED_PATH.
 */

/** Characters a pattern may hold: a path's own (RFC 3986 pchar, `/`) and `*`. */
const PATTERN_CHARS = /^[A-Za-z0-9\-._~!$&'()+,;=:@%/*]+$/;

export const MAX_PATTERN_LENGTH = 200;
export const MAX_PATTERNS = 20;
/** Wildcards (`*` or `**`, each run counting once) a pattern may hold when saved: enough for real sites. */
export const MAX_WILDCARDS = 4;
/** A longer path (as sent) matches no pattern: it bounds the work a stranger's URL can ask for. */
export const MAX_MATCHED_PATH = 2048;

const wildcardCount = (pattern: string): number => pattern.match(/\*+/g)?.length ?? 0;

/** Why `pattern` is not a page pattern Beckon can match (whatever its wildcards), or null. */
function shapeProblem(pattern: string): string | null {
  if (!pattern.startsWith('/')) return 'starts with / (a path on your site, like /pricing or /shop/*)';
  if (pattern.length > MAX_PATTERN_LENGTH) return `is longer than ${MAX_PATTERN_LENGTH} characters`;
  if (!PATTERN_CHARS.test(pattern)) return 'holds a character a path cannot (spaces, ?, #, quotes…)';
  if (pattern.includes('***')) return 'has more than two * in a row';
  return null;
}

/** Why `pattern` may not be saved as a page pattern, or null when it may. */
export function patternProblem(pattern: string): string | null {
  return shapeProblem(pattern)
    ?? (wildcardCount(pattern) > MAX_WILDCARDS ? `has more than ${MAX_WILDCARDS} wildcards (* or **)` : null);
}

/**
 * Whether a stored pattern is matched. One with more wildcards than a pattern may be saved with still is: the
 * matcher is linear whatever their number, and dropping it would widen the invitation to every page.
 */
export function patternUsable(pattern: string): boolean {
  return shapeProblem(pattern) === null;
}

const trimSlash = (p: string): string => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p);

/** A pattern's parts: '*' (within a segment), '**' (across segments) or a literal run; no empty literal. */
function partsOf(pattern: string): string[] {
  return trimSlash(pattern).split(/(\*\*|\*)/).filter((part) => part !== '');
}

/**
 * Whether `path` as a whole matches `parts`. `at[i]` says the parts so far can match path[0, i); each part turns
 * it into the next table in one pass over the path (a literal also compares its own characters), so the cost is
 * O(path length × pattern length) with no backtracking.
 */
function matchesWhole(parts: readonly string[], path: string): boolean {
  const n = path.length;
  let at = new Uint8Array(n + 1);
  at[0] = 1;
  for (const part of parts) {
    const next = new Uint8Array(n + 1);
    let any = false;
    if (part === '**') {
      // From the first position reached, every later one is: `**` matches any run.
      const from = at.indexOf(1);
      if (from >= 0) { next.fill(1, from); any = true; }
    } else if (part === '*') {
      // Reached, or reached earlier in the same segment: no '/' between.
      let open = false;
      for (let i = 0; i <= n; i++) {
        if (i > 0 && path.charCodeAt(i - 1) === 47 /* '/' */) open = false;
        if (at[i]) open = true;
        if (open) { next[i] = 1; any = true; }
      }
    } else {
      const len = part.length;
      for (let i = 0; i + len <= n; i++) {
        if (at[i] && path.startsWith(part, i)) { next[i + len] = 1; any = true; }
      }
    }
    if (!any) return false;
    at = next;
  }
  return at[n] === 1;
}

/** Whether the path of `pageUrl` matches one of `patterns` (usable ones; see patternUsable). */
export function pageMatches(patterns: readonly string[], pageUrl: string): boolean {
  let path: string;
  try { path = trimSlash(new URL(pageUrl).pathname); } catch { return false; }
  let decoded = path;
  try { decoded = decodeURI(path); } catch { /* malformed escapes: match the raw path only */ }
  if (path.length > MAX_MATCHED_PATH) return false; // decoding only shortens it
  const paths = decoded === path ? [path] : [path, decoded];
  return patterns.some((pattern) => {
    const parts = partsOf(pattern);
    return paths.some((p) => matchesWhole(parts, p));
  });
}
