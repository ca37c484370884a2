/**
 * The portal's preview page (/portal/preview/<slug>) is served by Beckon itself, only to that subscriber's own
 * logged-in session, so it counts as that subscriber's page: the directory answers for <slug> there, whoever owns
 * Beckon's host (the demo owns localhost), and a browser submission from it may name that subscriber only. It
 * bypasses no domain ownership: no other site can serve a page at Beckon's origin, and what the directory tells
 * about a subscriber is what its public hosted form shows anyway. Pure.
 */
const PREVIEW = /^\/portal\/preview\/([a-z0-9][a-z0-9-]{1,62})\/?$/;

export function previewPath(slug: string): string {
  return `/portal/preview/${encodeURIComponent(slug)}`;
}

/** Beckon's own origins for a request: PUBLIC_URL's and the request's own protocol://host. */
export function selfOrigins(publicUrl: string | undefined, requestOrigin: string): string[] {
  const out = [requestOrigin];
  if (publicUrl) { try { out.push(new URL(publicUrl).origin); } catch { /* not a URL */ } }
  return out;
}

/** The slug whose preview page this URL is, when it is one of Beckon's own preview pages; else null. */
export function previewPageOwner(pageUrl: string, self: readonly string[]): string | null {
  let url: URL;
  try { url = new URL(pageUrl); } catch { return null; }
  if (!self.includes(url.origin)) return null;
  return PREVIEW.exec(url.pathname)?.[1] ?? null;
}
