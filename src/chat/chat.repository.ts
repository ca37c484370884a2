import type { Queryable } from '../platform/db/pool.ts';
import { recordEventsSql } from '../webhooks/webhook.repository.ts';

/** The one module that reads and writes chat_conversations and chat_messages. */

export type ChatAuthor = 'visitor' | 'agent' | 'owner' | 'system';

export interface Conversation {
  id: string;
  subscriberId: string;
  departmentId: string | null;
  requestId: string | null;
  callbackRequestId: string | null;
  agentId: string | null;
  visitorName: string | null;
  visitorPhone: string | null;
  pageUrl: string | null;
  referrer: string | null;
  ip: string | null;
  tokenHash: Buffer;
  status: 'open' | 'closed';
  lastSeq: number;
  createdAt: Date;
  firstMessageAt: Date | null;
  firstResponseAt: Date | null;
  unansweredAt: Date | null;
  lastMessageAt: Date;
  closedAt: Date | null;
}

export interface ChatMessage {
  id: string;
  seq: number;
  author: ChatAuthor;
  authorName: string | null;
  kind: string | null;
  body: string;
  createdAt: string;
}

const CONVERSATION_COLUMNS = `id, subscriber_id, department_id, request_id, callback_request_id, agent_id, visitor_name, visitor_phone,
  page_url, referrer, ip, token_hash, status, next_seq, created_at, first_message_at, first_response_at, unanswered_at,
  last_message_at, closed_at`;

const toConversation = (r: Record<string, any>): Conversation => ({
  id: r.id, subscriberId: r.subscriber_id, departmentId: r.department_id, requestId: r.request_id,
  callbackRequestId: r.callback_request_id, agentId: r.agent_id, visitorName: r.visitor_name, visitorPhone: r.visitor_phone,
  pageUrl: r.page_url, referrer: r.referrer, ip: r.ip, tokenHash: r.token_hash, status: r.status, lastSeq: r.next_seq,
  createdAt: r.created_at, firstMessageAt: r.first_message_at, firstResponseAt: r.first_response_at,
  unansweredAt: r.unanswered_at, lastMessageAt: r.last_message_at, closedAt: r.closed_at,
});

const toMessage = (r: Record<string, any>): ChatMessage => ({
  id: String(r.id), seq: r.seq, author: r.author, authorName: r.author_name, kind: r.kind, body: r.body,
  createdAt: (r.created_at as Date).toISOString(),
});

export interface NewConversation {
  subscriberId: string;
  departmentId: string | null;
  requestId: string | null;
  visitorName: string | null;
  visitorPhone: string | null;
  pageUrl: string | null;
  referrer: string | null;
  ip: string | null;
  tokenHash: Buffer;
  agentId: string | null;
}

export async function insertConversation(db: Queryable, c: NewConversation): Promise<Conversation> {
  const { rows } = await db.query(
    `INSERT INTO chat_conversations (subscriber_id, department_id, request_id, visitor_name, visitor_phone, page_url, referrer, ip, token_hash, agent_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${CONVERSATION_COLUMNS}`,
    [c.subscriberId, c.departmentId, c.requestId, c.visitorName, c.visitorPhone, c.pageUrl, c.referrer, c.ip, c.tokenHash, c.agentId]);
  return toConversation(rows[0]);
}

export async function findConversation(db: Queryable, id: string): Promise<Conversation | null> {
  const { rows } = await db.query(`SELECT ${CONVERSATION_COLUMNS} FROM chat_conversations WHERE id = $1`, [id]);
  return rows[0] ? toConversation(rows[0]) : null;
}

/**
 * Appends a message to an open conversation and returns it with its number, or null when the conversation is
 * closed or gone. Numbering and insert are one statement: the conversation's row stays locked until commit, so
 * numbers are gap-free and a message never becomes visible before an earlier one. The first answer of a person
 * of the service center sets first_response_at; the visitor's first message starts the answer clock.
 */
export async function appendMessage(db: Queryable, m: { conversationId: string; author: ChatAuthor; authorName: string | null; body: string; kind?: string | null; allowClosed?: boolean }): Promise<ChatMessage | null> {
  const { rows } = await db.query(
    `WITH c AS (
       UPDATE chat_conversations SET next_seq = next_seq + 1, last_message_at = now(),
         first_message_at = CASE WHEN $2 = 'visitor' THEN coalesce(first_message_at, now()) ELSE first_message_at END,
         first_response_at = CASE WHEN $2 IN ('agent', 'owner') THEN coalesce(first_response_at, now()) ELSE first_response_at END
        WHERE id = $1 AND (status = 'open' OR $6)
       RETURNING id, next_seq
     )
     INSERT INTO chat_messages (conversation_id, seq, author, author_name, body, kind)
     SELECT c.id, c.next_seq, $2, $3, $4, $5 FROM c
     RETURNING id, seq, author, author_name, kind, body, created_at`,
    [m.conversationId, m.author, m.authorName, m.body, m.kind ?? null, m.allowClosed ?? false]);
  return rows[0] ? toMessage(rows[0]) : null;
}

/** A message to post: who wrote it, what it says; `allowClosed` lets a system message follow the close. */
export interface NewMessage { conversationId: string; author: ChatAuthor; authorName: string | null; body: string; kind?: string | null; allowClosed?: boolean }

/**
 * Posts a message as appendMessage does and, for a person's message (not a system one), records its
 * `chat.message` webhook event (the webhooks module's recordEventsSql), all in one statement: one round trip, and
 * a message that exists has its event. The event's data is the message as stored, its time the message's to the
 * millisecond (as the message's createdAt reads). Null when the conversation is closed or gone; otherwise the
 * message and the endpoints a delivery was queued for.
 */
export async function postMessage(db: Queryable, m: NewMessage): Promise<{ message: ChatMessage; endpoints: string[] } | null> {
  const { rows } = await db.query({
    name: 'chat_messages.post',
    text: `WITH c AS (
       UPDATE chat_conversations SET next_seq = next_seq + 1, last_message_at = now(),
         first_message_at = CASE WHEN $2 = 'visitor' THEN coalesce(first_message_at, now()) ELSE first_message_at END,
         first_response_at = CASE WHEN $2 IN ('agent', 'owner') THEN coalesce(first_response_at, now()) ELSE first_response_at END
        WHERE id = $1 AND (status = 'open' OR $6)
       RETURNING id, next_seq, subscriber_id, request_id)
     , m AS (
       INSERT INTO chat_messages (conversation_id, seq, author, author_name, body, kind)
       SELECT c.id, c.next_seq, $2, $3, $4, $5 FROM c
       RETURNING id, seq, author, author_name, kind, body, created_at)
     , event AS (
       SELECT c.subscriber_id, 'chat.message'::text AS type, 'chat.message:' || m.id AS source_key,
              jsonb_build_object('conversationId', c.id, 'requestId', c.request_id, 'author', m.author, 'authorName', m.author_name,
                'body', m.body, 'seq', m.seq, 'at', to_char(m.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) AS data,
              date_trunc('milliseconds', m.created_at) AS created_at
         FROM c CROSS JOIN m WHERE m.author <> 'system')
     , ${recordEventsSql('event')}
     SELECT m.id, m.seq, m.author, m.author_name, m.kind, m.body, m.created_at,
            ARRAY(SELECT endpoint_id FROM webhook_queued) AS endpoints
       FROM m`,
    values: [m.conversationId, m.author, m.authorName, m.body, m.kind ?? null, m.allowClosed ?? false],
  });
  return rows[0] ? { message: toMessage(rows[0]), endpoints: rows[0].endpoints as string[] } : null;
}

/** The conversation's messages numbered after `afterSeq`, in order (at most `limit`). */
export async function listMessages(db: Queryable, conversationId: string, afterSeq = 0, limit = 500): Promise<ChatMessage[]> {
  const { rows } = await db.query(
    `SELECT id, seq, author, author_name, kind, body, created_at FROM chat_messages WHERE conversation_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
    [conversationId, afterSeq, limit]);
  return rows.map(toMessage);
}

/** Closes an open conversation; false when it was closed already. */
export async function closeConversation(db: Queryable, id: string, by: 'visitor' | 'agent' | 'owner'): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE chat_conversations SET status = 'closed', closed_at = now(), closed_by = $2 WHERE id = $1 AND status = 'open'`, [id, by]);
  return (rowCount ?? 0) > 0;
}

export async function setCallbackRequest(db: Queryable, id: string, requestId: string, phone: string | null): Promise<void> {
  await db.query(`UPDATE chat_conversations SET callback_request_id = $2, visitor_phone = coalesce($3, visitor_phone) WHERE id = $1`, [id, requestId, phone]);
}

/** Open conversations per agent among `agentIds` (the per-agent limit). */
export async function openCountsOf(db: Queryable, agentIds: string[]): Promise<Map<string, number>> {
  const { rows } = await db.query(
    `SELECT agent_id, count(*)::int AS n FROM chat_conversations WHERE status = 'open' AND agent_id = ANY ($1) GROUP BY agent_id`, [agentIds]);
  return new Map(rows.map((r) => [r.agent_id as string, r.n as number]));
}

export interface ConversationListItem {
  id: string;
  subscriberId: string;
  subscriberName: string;
  visitorName: string | null;
  agentId: string | null;
  status: 'open' | 'closed';
  lastSeq: number;
  lastBody: string | null;
  lastAt: string;
  answered: boolean;
  requestId: string | null;
}

const LIST_SELECT = `SELECT c.id, c.subscriber_id, s.name AS subscriber_name, c.visitor_name, c.agent_id, c.status, c.next_seq,
    c.last_message_at, c.first_response_at IS NOT NULL AS answered, c.request_id,
    (SELECT m.body FROM chat_messages m WHERE m.conversation_id = c.id AND m.author <> 'system' ORDER BY m.seq DESC LIMIT 1) AS last_body
  FROM chat_conversations c JOIN subscribers s ON s.id = c.subscriber_id`;

const toListItem = (r: Record<string, any>): ConversationListItem => ({
  id: r.id, subscriberId: r.subscriber_id, subscriberName: r.subscriber_name, visitorName: r.visitor_name, agentId: r.agent_id,
  status: r.status, lastSeq: r.next_seq, lastBody: r.last_body, lastAt: (r.last_message_at as Date).toISOString(),
  answered: r.answered, requestId: r.request_id,
});

/**
 * An agent's console list: its own open conversations and the unassigned open ones of the subscribers it answers
 * for, leaving out those of suspended subscribers (closed to their agents).
 */
export async function listAgentConversations(db: Queryable, agentId: string): Promise<ConversationListItem[]> {
  const { rows } = await db.query(
    `${LIST_SELECT}
      WHERE c.status = 'open' AND s.status = 'active'
        AND (c.agent_id = $1 OR (c.agent_id IS NULL AND c.subscriber_id IN (SELECT subscriber_id FROM agent_subscribers WHERE agent_id = $1)))
      ORDER BY c.created_at`, [agentId]);
  return rows.map(toListItem);
}

/** A subscriber's inbox: open conversations first, then the latest closed ones. */
export async function listSubscriberConversations(db: Queryable, subscriberId: string, limit = 100): Promise<ConversationListItem[]> {
  const { rows } = await db.query(
    `${LIST_SELECT} WHERE c.subscriber_id = $1 ORDER BY c.status = 'open' DESC, c.last_message_at DESC LIMIT $2`, [subscriberId, limit]);
  return rows.map(toListItem);
}

/** The conversations started from (or turned into) one call-back request, oldest first. */
export async function conversationsOfRequest(db: Queryable, requestId: string): Promise<Conversation[]> {
  const { rows } = await db.query(
    `SELECT ${CONVERSATION_COLUMNS} FROM chat_conversations WHERE request_id = $1 OR callback_request_id = $1 ORDER BY created_at`, [requestId]);
  return rows.map(toConversation);
}

/**
 * Marks the open conversations whose visitor has waited `timeoutSec` since the first message without any answer;
 * each is returned once, to whichever process marks it.
 */
export async function markUnanswered(db: Queryable, timeoutSec: number): Promise<Conversation[]> {
  const { rows } = await db.query(
    `UPDATE chat_conversations SET unanswered_at = now()
      WHERE status = 'open' AND first_response_at IS NULL AND unanswered_at IS NULL
        AND first_message_at < now() - make_interval(secs => $1)
     RETURNING ${CONVERSATION_COLUMNS}`, [timeoutSec]);
  return rows.map(toConversation);
}

/** Open conversations no agent holds, oldest first (routing offers them as agents become free). */
export async function listUnassigned(db: Queryable, limit = 100): Promise<Conversation[]> {
  const { rows } = await db.query(
    `SELECT ${CONVERSATION_COLUMNS} FROM chat_conversations WHERE status = 'open' AND agent_id IS NULL ORDER BY created_at LIMIT $1`, [limit]);
  return rows.map(toConversation);
}

/** Deletes conversations (with their messages) whose last message is older than `days`. */
export async function deleteOldConversations(db: Queryable, days: number): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM chat_conversations WHERE last_message_at < now() - make_interval(days => $1)`, [days]);
  return rowCount ?? 0;
}

/** Conversations started in [from, to) and the median seconds to their first answer (null when none was answered). */
export async function chatStats(db: Queryable, subscriberId: string, from: Date, to: Date): Promise<{ conversations: number; medianFirstResponseSec: number | null }> {
  const { rows } = await db.query(
    `SELECT count(*)::int AS n,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_response_at - coalesce(first_message_at, created_at)))
              FILTER (WHERE first_response_at IS NOT NULL) AS median
       FROM chat_conversations WHERE subscriber_id = $1 AND created_at >= $2 AND created_at < $3`, [subscriberId, from, to]);
  return { conversations: rows[0].n, medianFirstResponseSec: rows[0].median === null ? null : Math.round(Number(rows[0].median)) };
}

/**
 * Gives a conversation to an agent while the agent holds fewer than `max` open ones. Runs in a transaction of
 * the caller's: the agent's advisory lock makes concurrent offers to one agent count one after the other.
 */
export async function assignBelowLimit(db: Queryable, conversationId: string, agentId: string, max: number): Promise<boolean> {
  await db.query(`SELECT pg_advisory_xact_lock(hashtext('chat-agent:' || $1))`, [agentId]);
  const { rowCount } = await db.query(
    `UPDATE chat_conversations SET agent_id = $2 WHERE id = $1 AND status = 'open' AND agent_id IS NULL
        AND (SELECT count(*) FROM chat_conversations o WHERE o.agent_id = $2 AND o.status = 'open') < $3`, [conversationId, agentId, max]);
  return (rowCount ?? 0) > 0;
}
