import type { Context } from 'koa';
import type { Pool } from '../platform/db/pool.ts';
import { redisKeys } from '../platform/redis-keys.ts';
import { TooManyRequestsError } from '../platform/errors.ts';
import { openEventStream } from '../web/event-stream.ts';
import { signedInStreamSlot, type StreamLimits } from '../web/stream-limits.ts';
import { listMessages, type ChatMessage } from './chat.repository.ts';
import type { ChatNotice, ChatStreamReader } from './chat-stream.ts';

/** The message number a client last saw: the Last-Event-ID of a reconnecting EventSource, else `?after=`. */
export function lastSeenSeq(ctx: Pick<Context, 'get' | 'query'>): number {
  const raw = ctx.get('last-event-id') || (typeof ctx.query.after === 'string' ? ctx.query.after : '');
  const n = Number(raw);
  return Number.isInteger(n) && n >= 0 && n < 2 ** 31 ? n : 0;
}

/**
 * One conversation's messages as Server-Sent Events, each with its number as the event id: first those after the
 * last one the client saw (from PostgreSQL), then every later one as the stream announces it. A stream entry that
 * carries the message next after the last one sent is forwarded as it is; an entry without a message, or with a
 * later number than the next (an entry missed, or one still on its way from another web process), makes the
 * connection read what follows the last number sent from PostgreSQL, and an entry with a number already sent is
 * dropped. Entries are taken one after the other, each after the reads before it, so a message is sent once per
 * connection and never before an earlier one, whichever web process wrote it; the client drops a number it
 * already has (after a reconnect).
 */
export async function streamConversation(ctx: Context, o: {
  pool: Pool; reader: ChatStreamReader; prefix: string; conversationId: string; limits: StreamLimits; ip: string;
  /** A signed-in reader (agent, owner): the stream also counts against its account's caps. */
  account?: { limits: StreamLimits; key: string };
}): Promise<void> {
  const release = o.limits.acquire(o.conversationId, o.ip);
  if (!release) throw new TooManyRequestsError('too_many_streams', 'Too many open connections to this conversation.', { retryAfterSec: 30 });
  let releaseAccount: () => void = () => {};
  try {
    if (o.account) releaseAccount = signedInStreamSlot(o.account.limits, o.account.key, o.ip);
  } catch (err) {
    release();
    throw err;
  }
  const events = openEventStream(ctx);
  events.onClose(release);
  events.onClose(releaseAccount);
  let sent = lastSeenSeq(ctx);
  const send = (m: ChatMessage) => { events.send('message', m, m.seq); sent = m.seq; };
  const readStored = async () => { for (const m of await listMessages(o.pool, o.conversationId, sent)) send(m); };
  // Reads and forwards in the order the entries came; `pending` counts the steps not yet taken.
  let reading: Promise<void> = Promise.resolve();
  let pending = 0;
  const step = (n: ChatNotice | null) => {
    const m = n?.message;
    if (pending === 0 && m && m.seq <= sent + 1) {
      if (m.seq === sent + 1) send(m);
      return reading;
    }
    pending++;
    reading = reading.then(async () => {
      if (m && m.seq <= sent + 1) { if (m.seq === sent + 1) send(m); return; }
      await readStored();
    }).catch(() => { /* the next entry (or the client's reconnect) reads again */ }).finally(() => { pending--; });
    return reading;
  };
  const stop = await o.reader.watch(redisKeys(o.prefix).chatConversation(o.conversationId), (n) => void step(n)).catch(() => null);
  await step(null);
  if (stop) events.onClose(stop);
  // Without the stream (Redis unreachable) the client gets what is stored and reconnects later for the rest.
  else events.close();
}
