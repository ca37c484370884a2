import type { Queryable } from '../platform/db/pool.ts';
import { conversationsOfRequest, listMessages, type ChatMessage } from './chat.repository.ts';

/** Who wrote a line, as a transcript names them. */
function who(m: ChatMessage): string {
  if (m.author === 'system') return '';
  if (m.author === 'visitor') return m.authorName ? `${m.authorName}:` : 'Visitor:';
  return `${m.authorName ?? 'Team'}:`;
}

const clock = (iso: string | Date, timezone: string) =>
  new Intl.DateTimeFormat('en-US', { timeZone: timezone, month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' }).format(new Date(iso));

/**
 * The conversations a call-back request came with or came from, as text lines in the subscriber's zone (the
 * page escapes them: a transcript is never HTML); `onlySubscribers` keeps those of the subscribers a reader may see.
 */
export async function requestTranscripts(db: Queryable, requestId: string, timezone: string, onlySubscribers?: readonly string[]) {
  const conversations = (await conversationsOfRequest(db, requestId)).filter((c) => !onlySubscribers || onlySubscribers.includes(c.subscriberId));
  return Promise.all(conversations.map(async (c) => ({
    id: c.id, started: clock(c.createdAt, timezone), closed: c.status === 'closed',
    lines: (await listMessages(db, c.id)).map((m) => ({ author: m.author, who: who(m), body: m.body, at: clock(m.createdAt, timezone) })),
  })));
}
