/**
 * The proactive invitation's decisions, pure: when a trigger fires, and whether this visitor may be invited.
 * The directory sends an Invite only for pages it applies to (the page patterns are matched on the server).
 */
export interface Invite {
  text: string;
  /** seconds on the page */
  after?: number;
  /** percentage of the page scrolled past */
  scroll?: number;
  /** the pointer leaves the page through the top (desktop) */
  exit?: boolean;
}

/** What the page tells the widget: time on the page, how far it is scrolled, a pointer leaving it. */
export type Cue = { time: number } | { scrolled: number } | { exit: true };

export function fires(inv: Invite, cue: Cue): boolean {
  if ('time' in cue) return inv.after !== undefined && cue.time >= inv.after * 1000;
  if ('scrolled' in cue) return inv.scroll !== undefined && cue.scrolled * 100 >= inv.scroll;
  return inv.exit === true;
}

/** Share of the page seen so far: the bottom of the viewport over the page's height (1 when it all fits). */
export function scrolledShare(scrollY: number, viewportHeight: number, pageHeight: number): number {
  if (pageHeight <= viewportHeight) return 1;
  return Math.min(1, Math.max(0, (scrollY + viewportHeight) / pageHeight));
}

/**
 * Exit intent: a `mouseout` to nowhere (no element entered) at or above the page's top edge, from a fine pointer
 * (a mouse, not a finger: phones have no exit gesture).
 */
export function isExitIntent(e: { clientY: number; relatedTarget: unknown }, finePointer: boolean): boolean {
  return finePointer && e.relatedTarget === null && e.clientY <= 0;
}

/** The Web Storage surface the gate uses (sessionStorage: this visit; localStorage: this browser). */
export interface Store { getItem(key: string): string | null; setItem(key: string, value: string): void; removeItem(key: string): void }

/**
 * At most once per visit (sessionStorage) and never again once the visitor closed it (localStorage), per
 * subscriber. `opened` remembers, for this visit, that the invitation led to the panel, so the call-back or
 * web call that follows counts as converted once. Storage that throws (blocked, full) is treated as empty.
 */
export function inviteGate(slug: string, session: Store | null, local: Store | null) {
  const key = (what: string) => `beckon:invite:${what}:${slug}`;
  const read = (s: Store | null, k: string) => { try { return s?.getItem(k) ?? null; } catch { return null; } };
  const write = (s: Store | null, k: string, v: string | null) => {
    try { if (v === null) s?.removeItem(k); else s?.setItem(k, v); } catch { /* storage off: this page still behaves */ }
  };
  return {
    allowed: () => !read(session, key('shown')) && !read(local, key('closed')),
    shown: () => write(session, key('shown'), '1'),
    closed: () => write(local, key('closed'), '1'),
    opened: () => write(session, key('opened'), '1'),
    /** True once after opened(): the conversion to count. */
    takeConversion: () => { const was = !!read(session, key('opened')); write(session, key('opened'), null); return was; },
  };
}
export type InviteGate = ReturnType<typeof inviteGate>;
