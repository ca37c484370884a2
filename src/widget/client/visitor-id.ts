const KEY = 'beckon:visitor';
const VALID = /^[A-Za-z0-9_-]{16,64}$/;
let inMemory: string | null = null;

/** 22 random base64url characters (128 bits) from the browser's CSPRNG. */
function fresh(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * This browser's random visitor id, so the per-visitor limits count browsers, not everyone behind one address
 * and browser version. Kept in localStorage (shared by every page of the site); where storage is refused
 * (private modes, blocked third-party storage) one id lives for the page's lifetime.
 */
export function visitorId(storage: () => Storage | null = () => localStorage): string {
  try {
    const s = storage();
    const kept = s?.getItem(KEY);
    if (kept && VALID.test(kept)) return kept;
    const id = inMemory ?? fresh();
    s?.setItem(KEY, id);
    return (inMemory = id);
  } catch {
    return (inMemory ??= fresh());
  }
}
