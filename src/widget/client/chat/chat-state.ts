/**
 * The widget chat's pure parts: the conversation's messages kept once each and in number order whatever order
 * and however often the stream delivers them, what the visitor's view offers after each, and the body of
 * POST /chat/start. No DOM here, so the unit tests run it as is.
 */

/** One message as the visitor endpoints send it (SSE `message` events and POST answers). */
export interface ChatMessage { id: string; seq: number; author: 'visitor' | 'agent' | 'owner' | 'system' | string; authorName: string | null; kind: string | null; body: string; createdAt: string }

export interface ChatView {
  /** in seq order, each seq once */
  messages: ChatMessage[];
  /** the highest seq held: where a reconnecting stream resumes */
  lastSeq: number;
  closed: boolean;
  /** the team invited the visitor to a web call (a `webcall` message), and the conversation is still open */
  webcallInvited: boolean;
}

export const EMPTY: ChatView = { messages: [], lastSeq: 0, closed: false, webcallInvited: false };

/** The view with `m` in place; the same view (===) when its number is already held, so callers redraw nothing. */
export function addMessage(v: ChatView, m: ChatMessage): ChatView {
  if (!Number.isInteger(m.seq) || m.seq < 1 || v.messages.some((x) => x.seq === m.seq)) return v;
  const messages = [...v.messages, m].sort((a, b) => a.seq - b.seq);
  const closed = v.closed || m.kind === 'closed';
  const invited = m.kind === 'webcall' || v.webcallInvited;
  return { messages, lastSeq: Math.max(v.lastSeq, m.seq), closed, webcallInvited: invited && !closed };
}

/** Where an incoming message goes in the drawn list: the index of the first drawn message with a higher number. */
export function insertAt(drawn: number[], seq: number): number {
  const i = drawn.findIndex((s) => s > seq);
  return i < 0 ? drawn.length : i;
}

/** Who the visitor reads as the writer of a message (system lines carry none). */
export function authorLabel(m: ChatMessage, you: string, team: string): string | null {
  if (m.author === 'system') return null;
  return m.author === 'visitor' ? you : (m.authorName || team);
}

export interface StartInput {
  slug: string;
  department?: string;
  name?: string;
  body: string;
  pageUrl: string;
  referrer?: string;
  formToken?: string;
  website: string;
  /** the call-back this visit asked for from the widget: the conversation is linked to it */
  request?: { id: string; token: string } | null;
}

/**
 * The body of POST /chat/start. The subscriber is always named (the public API's CORS lets a site start chats
 * only for its own subscriber); with a call-back of this visit the request and its token link the conversation,
 * and the server takes the visitor's name, page and department from that request.
 */
export function startBody(s: StartInput): Record<string, unknown> {
  const base = { subscriber: s.slug, body: s.body, website: s.website };
  if (s.request) return { ...base, requestId: s.request.id, requestToken: s.request.token };
  return {
    ...base, formToken: s.formToken, name: s.name || undefined, department: s.department || undefined,
    pageUrl: s.pageUrl, referrer: s.referrer || undefined,
  };
}

/** The conversation this tab follows, kept in sessionStorage so the next page of the site resumes it. */
export interface Kept { slug: string; id: string; token: string }

export function readKept(raw: string | null, slug: string): Kept | null {
  try {
    const k = JSON.parse(raw ?? 'null') as Partial<Kept> | null;
    return k && k.slug === slug && typeof k.id === 'string' && typeof k.token === 'string' ? { slug, id: k.id, token: k.token } : null;
  } catch {
    return null;
  }
}
