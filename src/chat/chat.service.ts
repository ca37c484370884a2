import type { Redis } from 'ioredis';
import { withTransaction, type Pool } from '../platform/db/pool.ts';
import type { Logger } from '../platform/logger.ts';
import { redisKeys } from '../platform/redis-keys.ts';
import { ConflictError, NotFoundError } from '../platform/errors.ts';
import { newStatusToken, tokenMatches } from '../requests/status-token.ts';
import type { AcceptResult, AcceptService } from '../requests/accept.service.ts';
import { findSubscriberById } from '../subscribers/subscriber.repository.ts';
import { chatRoutingOrder, findAgent } from '../agents/agent.repository.ts';
import { recordEvent } from '../webhooks/webhook.repository.ts';
import {
  appendMessage, assignBelowLimit, closeConversation, deleteOldConversations, findConversation, insertConversation,
  listMessages, listUnassigned, markUnanswered, postMessage, setCallbackRequest, type ChatAuthor, type ChatMessage, type Conversation, type NewConversation,
} from './chat.repository.ts';
import { notify } from './chat-stream.ts';
import { SYSTEM_TEXT } from './chat-text.ts';

/** What chat needs told to the owner when a visitor waited for nobody (src/notices' hook fills it in). */
export interface ChatNoticePort {
  chatUnanswered(c: { subscriberId: string; conversationId: string; visitorName?: string | null; message?: string | null }): Promise<void>;
}

export interface ChatServiceDeps {
  pool: Pool;
  redis: Redis;
  prefix: string;
  log: Logger;
  config: { CHAT_MAX_PER_AGENT: number; CHAT_ANSWER_TIMEOUT_SEC: number; CHAT_RETENTION_DAYS: number };
  /** The web's accept path; a process without it (the worker's upkeep) cannot turn chats into call-backs. */
  accept?: Pick<AcceptService, 'accept'>;
  notices: ChatNoticePort | null;
  /** Wakes the webhook deliveries of the endpoints an event was recorded for. */
  kickWebhook?: (endpointId: string) => Promise<void>;
}

/** Who writes a message from the service center's side. */
export interface Staff { author: 'agent' | 'owner'; name: string; agentId?: string }

/**
 * The chat's rules in one place: every change is written to PostgreSQL first and then announced on the
 * conversation's stream and the subscriber's (at least once: a reader that missed a notification finds the rows
 * on its next read). Status changes are system messages, so a visitor's page learns everything from one ordered
 * list.
 */
export function createChatService(deps: ChatServiceDeps) {
  const { pool, redis, log } = deps;
  const keys = redisKeys(deps.prefix);

  /**
   * Tells the conversation's readers (its stream: visitor and desk) and the subscriber's (the desk's list, whose
   * lines show each conversation's last message) that something changed. A message rides along as stored, so a
   * reader forwards it without reading PostgreSQL; a reader reads PostgreSQL when an entry has none.
   */
  const announce = async (c: Pick<Conversation, 'id' | 'subscriberId'>, seq: number | null, what: string, message?: ChatMessage): Promise<void> => {
    await Promise.all([
      notify(redis, keys.chatConversation(c.id), message ? { seq, what, message } : { seq, what }),
      notify(redis, keys.chatSubscriber(c.subscriberId), { conversationId: c.id, what }),
    ]).catch((err) => log.warn({ err: (err as Error).message, conversationId: c.id }, 'chat notification not sent; readers catch up on their next read'));
  };

  /** Wakes the deliveries of the endpoints an event was recorded for, after commit (one a lost kick left waiting goes out with the endpoint's next delivery). */
  const kick = (endpointIds: string[]) => Promise.all(endpointIds.map((e) => deps.kickWebhook?.(e).catch(() => {})));

  /**
   * Stores a message and, for a person's message, its `chat.message` webhook event in one statement (postMessage):
   * a message that exists has its event. Announced after commit, with the message.
   */
  async function post(c: Conversation, m: { author: ChatAuthor; authorName: string | null; body: string; kind?: string | null; allowClosed?: boolean }): Promise<ChatMessage> {
    const stored = await postMessage(pool, { conversationId: c.id, ...m });
    if (!stored) throw new ConflictError('chat_closed', 'This conversation is closed.');
    await announce(c, stored.message.seq, 'message', stored.message);
    await kick(stored.endpoints);
    return stored.message;
  }

  /**
   * Offers the conversation to the longest-idle available agent below the per-agent limit (the visitor reads who
   * joined); null when none is.
   */
  async function route(c: Conversation): Promise<string | null> {
    for (const agentId of await chatRoutingOrder(pool, c.subscriberId, c.departmentId)) {
      if (await withTransaction(pool, (tx) => assignBelowLimit(tx, c.id, agentId, deps.config.CHAT_MAX_PER_AGENT))) {
        const name = (await findAgent(pool, agentId))?.name ?? 'An agent';
        await post(c, { author: 'system', authorName: null, body: SYSTEM_TEXT.joined(name), kind: 'joined' }).catch(() => {});
        return agentId;
      }
    }
    return null;
  }

  return {
    /** A new conversation and the visitor's token for it (given once). Routed to an agent when one is free. */
    async start(input: Omit<NewConversation, 'tokenHash' | 'agentId'>, firstMessage: string | null): Promise<{ conversation: Conversation; token: string; agentId: string | null }> {
      const { token, hash } = newStatusToken();
      const conversation = await insertConversation(pool, { ...input, tokenHash: hash, agentId: null });
      if (firstMessage) await post(conversation, { author: 'visitor', authorName: conversation.visitorName, body: firstMessage });
      const agentId = await route(conversation);
      await announce(conversation, null, 'started');
      return { conversation: { ...conversation, agentId }, token, agentId };
    },

    /** The conversation when `token` is its visitor's, else a 404 (as for an unknown id). */
    async visitorConversation(id: string, token: unknown): Promise<Conversation> {
      const c = await findConversation(pool, id);
      if (!c || !tokenMatches(token, c.tokenHash)) throw new NotFoundError('chat_not_found', 'No conversation with that id and token.');
      return c;
    },

    post,

    /** A message of the service center; an agent writing to a waiting conversation takes it. */
    async reply(c: Conversation, staff: Staff, body: string): Promise<ChatMessage> {
      if (staff.agentId && c.agentId === null) {
        const took = await withTransaction(pool, (tx) => assignBelowLimit(tx, c.id, staff.agentId!, Number.MAX_SAFE_INTEGER));
        if (took) await post(c, { author: 'system', authorName: null, body: SYSTEM_TEXT.joined(staff.name), kind: 'joined' });
      }
      return post(c, { author: staff.author, authorName: staff.name, body });
    },

    /** An agent takes a waiting conversation (within its limit). */
    async take(c: Conversation, staff: Staff & { agentId: string }): Promise<void> {
      const ok = await withTransaction(pool, (tx) => assignBelowLimit(tx, c.id, staff.agentId, deps.config.CHAT_MAX_PER_AGENT));
      if (!ok) throw new ConflictError('chat_not_taken', 'Another agent took this conversation, or you hold as many as you may.');
      await post(c, { author: 'system', authorName: null, body: SYSTEM_TEXT.joined(staff.name), kind: 'joined' });
    },

    /**
     * Invites the visitor to a web call: a `webcall` system message, on which the visitor's chat offers "Call now"
     * (where its browser can). Only an open conversation is invited.
     */
    async inviteWebcall(c: Conversation, staff: Staff): Promise<ChatMessage> {
      if (c.status !== 'open') throw new ConflictError('chat_closed', 'This conversation is closed.');
      return post(c, { author: 'system', authorName: null, body: SYSTEM_TEXT.webcall(staff.name), kind: 'webcall' });
    },

    /** Ends an open conversation: its last message says so, and `chat.closed` is recorded with it. */
    async close(c: Conversation, by: 'visitor' | 'agent' | 'owner'): Promise<void> {
      if (c.status !== 'open') return;
      const endpoints = await withTransaction(pool, async (tx) => {
        if (!(await appendMessage(tx, { conversationId: c.id, author: 'system', authorName: null, body: SYSTEM_TEXT.closed, kind: 'closed' }))) return null;
        await closeConversation(tx, c.id, by);
        return recordEvent(tx, {
          subscriberId: c.subscriberId, type: 'chat.closed', sourceKey: `chat.closed:${c.id}`, at: new Date(),
          data: { conversationId: c.id, requestId: c.requestId, closedBy: by, at: new Date().toISOString() },
        });
      });
      if (!endpoints) return;
      await announce(c, null, 'closed');
      await kick(endpoints);
    },

    /**
     * Turns the conversation into a call-back to `phone` through the accept path (its checks, its limits); the
     * conversation's token stands in for the form token, as the visitor proved itself when starting it.
     * `consent`: the visitor agreed to be called at the number (ticked on the chat, or told the agent so).
     */
    async callBack(c: Conversation, phone: string, meta: { ip: string | null; userAgent: string | null }, consent: boolean): Promise<AcceptResult & { slug: string }> {
      const accept = deps.accept;
      if (!accept) throw new Error('chat call-backs need the accept path');
      if (c.callbackRequestId) throw new ConflictError('chat_callback_exists', 'A call-back was already requested from this conversation.');
      const subscriber = await findSubscriberById(pool, c.subscriberId);
      if (!subscriber) throw new NotFoundError('chat_not_found', 'No such conversation.');
      // The conversation's row stays locked from the check to the link, so of two asks at once (two tabs, a
      // double click, a script) one makes the call-back and the other finds it made.
      const result = await withTransaction(pool, async (tx) => {
        const { rows } = await tx.query(`SELECT callback_request_id FROM chat_conversations WHERE id = $1 FOR UPDATE`, [c.id]);
        if (!rows[0]) throw new NotFoundError('chat_not_found', 'No such conversation.');
        if (rows[0].callback_request_id) throw new ConflictError('chat_callback_exists', 'A call-back was already requested from this conversation.');
        const answer = await accept.accept(
          { subscriber: subscriber.slug, phone, name: c.visitorName ?? undefined, department: c.departmentId ?? undefined, pageUrl: c.pageUrl ?? undefined, referrer: c.referrer ?? undefined, consent: consent || undefined },
          { ip: meta.ip, userAgent: meta.userAgent, referrer: null, source: 'api', apiClient: true });
        // A duplicate is linked only when it is this requester's own waiting request (asDuplicate gives its id
        // then): someone else's request for the number must not get this conversation attached to it.
        if (answer.id) await setCallbackRequest(tx, c.id, answer.id, phone);
        return answer;
      });
      if (result.id) await post(c, { author: 'system', authorName: null, body: SYSTEM_TEXT.callback, kind: 'callback', allowClosed: true }).catch(() => {});
      return { ...result, slug: subscriber.slug };
    },

    /**
     * Conversations nobody answered in time: each is marked and given its call-back offer in one transaction (so
     * a visitor is told exactly once), then announced, and the owner told.
     */
    async unansweredPass(): Promise<number> {
      const found = await withTransaction(pool, async (tx) => {
        const marked = await markUnanswered(tx, deps.config.CHAT_ANSWER_TIMEOUT_SEC);
        const told: { c: Conversation; msg: ChatMessage; firstLine: string | null }[] = [];
        for (const c of marked) {
          const msg = await appendMessage(tx, { conversationId: c.id, author: 'system', authorName: null, body: SYSTEM_TEXT.unanswered, kind: 'unanswered' });
          if (!msg) continue;
          const firstLine = (await listMessages(tx, c.id, 0, 20)).find((m) => m.author === 'visitor')?.body ?? null;
          told.push({ c, msg, firstLine });
        }
        return told;
      });
      for (const { c, msg, firstLine } of found) {
        await announce(c, msg.seq, 'message', msg);
        await deps.notices?.chatUnanswered({ subscriberId: c.subscriberId, conversationId: c.id, visitorName: c.visitorName, message: firstLine })
          .catch((err) => log.warn({ err: (err as Error).message }, 'chat notice not decided'));
      }
      return found.length;
    },

    /** Offers waiting conversations, oldest first, to agents that became available or freed a place. */
    async routingPass(): Promise<number> {
      let routed = 0;
      for (const c of await listUnassigned(pool)) {
        if (await route(c)) {
          routed++;
          await announce(c, null, 'assigned');
        }
      }
      return routed;
    },

    retentionPass: () => deleteOldConversations(pool, deps.config.CHAT_RETENTION_DAYS),
  };
}

export type ChatService = ReturnType<typeof createChatService>;
