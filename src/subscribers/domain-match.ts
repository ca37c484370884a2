import type { Queryable } from '../platform/db/pool.ts';

/**
 * Which subscriber owns a page's host. Owned hosts are exact ("shop.example.com") or wildcards
 * ("*.example.com", any depth of subdomain, not example.com itself). An exact entry beats a wildcard, and a
 * longer wildcard beats a shorter one. The pure part (normalising, candidates, picking) is apart from the one query.
 */

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
/** Second-level registries under country codes, where "*.co.uk" would claim strangers' sites. */
const SHARED_SECOND_LEVEL = new Set(['co', 'com', 'net', 'org', 'gov', 'ac', 'edu', 'ne', 'or', 'go', 'gouv', 'asso']);

/** Lowercases, drops a port and a trailing dot, converts IDN to punycode; null when it is not a host name. */
export function normalizeHost(input: string): string | null {
  const raw = input.trim().toLowerCase();
  if (!raw || raw.length > 253 || /[\s/@?#\\]/.test(raw.replace(/:\d+$/, ''))) return null;
  let host: string;
  try {
    host = new URL(`http://${raw}`).hostname;
  } catch { return null; }
  host = host.replace(/\.$/, '');
  if (host.startsWith('[')) return null; // IPv6 literals: no sites are served from them in practice
  if (IPV4.test(host)) return host.split('.').every((n) => Number(n) <= 255) ? host : null;
  const labels = host.split('.');
  if (labels.length < 1 || !labels.every((l) => LABEL.test(l))) return null;
  if (labels.length === 1 && host !== 'localhost') return null;
  return host;
}

export type DomainPattern = { kind: 'exact'; host: string } | { kind: 'wildcard'; host: string; base: string };

/** What a subscriber may list: an exact host or "*.<base>" whose base is a registrable-looking name. */
export function parseDomainPattern(input: string): { ok: true; pattern: DomainPattern } | { ok: false; message: string } {
  const text = input.trim().toLowerCase().replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  if (text.startsWith('*.')) {
    const base = normalizeHost(text.slice(2));
    if (!base || IPV4.test(base) || base === 'localhost') return { ok: false, message: `"${input}" is not a valid wildcard; use *.example.com.` };
    const labels = base.split('.');
    if (labels.length < 2 || (labels.length === 2 && labels[1]!.length === 2 && SHARED_SECOND_LEVEL.has(labels[0]!))) {
      return { ok: false, message: `"${input}" would cover other people's sites; use a wildcard under your own domain.` };
    }
    return { ok: true, pattern: { kind: 'wildcard', host: `*.${base}`, base } };
  }
  const host = normalizeHost(text);
  if (!host) return { ok: false, message: `"${input}" is not a valid host name.` };
  return { ok: true, pattern: { kind: 'exact', host } };
}

/** Host of a page URL (http/https only); null for anything else. */
export function hostOfPageUrl(pageUrl: string): string | null {
  let url: URL;
  try { url = new URL(pageUrl); } catch { return null; }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  return normalizeHost(url.hostname);
}

/** Every domains.host value that could own `host`: itself, then wildcards from the most specific parent up. */
export function ownerCandidates(host: string): string[] {
  if (IPV4.test(host)) return [host];
  const labels = host.split('.');
  const out = [host];
  for (let i = 1; i < labels.length - 1; i++) out.push(`*.${labels.slice(i).join('.')}`);
  return out;
}

/** Picks the owner among matching rows: exact first, then the longest wildcard. */
export function pickOwner<T extends { host: string }>(host: string, rows: T[]): T | null {
  const order = ownerCandidates(host);
  let best: T | null = null;
  let bestRank = Infinity;
  for (const r of rows) {
    const rank = order.indexOf(r.host);
    if (rank >= 0 && rank < bestRank) { best = r; bestRank = rank; }
  }
  return best;
}

/** Whether two patterns claim at least one host in common (so they cannot belong to different subscribers). */
export function patternsOverlap(a: string, b: string): boolean {
  if (a === b) return true;
  const covers = (wild: string, other: string) => wild.startsWith('*.') && (other.endsWith(wild.slice(1)));
  return covers(a, b) || covers(b, a);
}

/** The subscriber owning the host of `pageUrl`, or null. Only verified hosts own pages; a pending claim owns nothing. */
export async function findDomainOwner(db: Queryable, host: string): Promise<{ subscriberId: string; host: string } | null> {
  const { rows } = await db.query(
    `SELECT subscriber_id, host FROM domains WHERE host = ANY($1::text[]) AND verified_at IS NOT NULL`, [ownerCandidates(host)]);
  const hit = pickOwner(host, rows as { subscriber_id: string; host: string }[]);
  return hit ? { subscriberId: hit.subscriber_id, host: hit.host } : null;
}
