import type Koa from 'koa';
import Router from 'koa-router';
import type { Pool } from '../platform/db/pool.ts';
import { redisKeys } from '../platform/redis-keys.ts';
import { BadRequestError, NotFoundError } from '../platform/errors.ts';
import { isUuid } from '../platform/validation/ids.ts';
import { verifyCsrf } from '../auth/csrf.ts';
import { openEventStream } from '../web/event-stream.ts';
import { signedInStreamSlot, type StreamLimits } from '../web/stream-limits.ts';
import type { AppContext, AppState } from '../web/context.ts';
import { findConversation, listMessages, type Conversation, type ConversationListItem } from './chat.repository.ts';
import type { ChatService, Staff } from './chat.service.ts';
import type { ChatStreamReader } from './chat-stream.ts';
import { streamConversation } from './conversation-events.ts';
import { messageBody } from './chat-text.ts';
import { requestTranscripts } from './transcript.ts';

/**
 * Who is at the desk: the account their open streams count against ("agent:<id>", "subscriber:<id>"), the
 * subscribers whose conversations they may read and answer, and their name on replies.
 */
export interface DeskPerson { account: string; subscriberIds: string[]; staff: Staff; list(): Promise<ConversationListItem[]> }

export interface DeskDeps {
  pool: Pool;
  chat: ChatService;
  reader: ChatStreamReader;
  redisPrefix: string;
  streams: StreamLimits;
  /** Caps on the desk person's own streams: per account and in all (the list's and each conversation's count). */
  signedInStreams: StreamLimits;
  /** Visitors may call from the browser (WEBCALL_ENABLED): the desk offers "Invite to a web call". */
  webcalls: boolean;
}

type Body = Record<string, unknown>;
const bodyOf = (ctx: AppContext): Body => ((ctx.request as unknown as { body?: Body }).body ?? {}) as Body;

/** What the service center sees of a conversation: who wrote, from where, and what it became. */
export function deskView(c: Conversation, staff: Staff, webcalls = false) {
  return {
    webcalls,
    id: c.id, status: c.status, visitorName: c.visitorName, visitorPhone: c.visitorPhone, pageUrl: c.pageUrl, referrer: c.referrer,
    requestId: c.requestId, callbackRequestId: c.callbackRequestId, agentId: c.agentId,
    mine: staff.agentId ? c.agentId === staff.agentId : true, waiting: c.agentId === null, createdAt: c.createdAt.toISOString(),
  };
}

/**
 * The service center's side of chat, the same for agents (console) and owners (portal inbox): the list, its
 * change stream, one conversation with its live messages, and reply, take, close and "call back". A conversation
 * of a subscriber the person does not answer for is a 404, like an unknown id.
 */
export function deskRoutes(deps: DeskDeps, prefix: string, auth: Koa.Middleware, who: (ctx: AppContext) => Promise<DeskPerson>): Router<AppState, {}> {
  const router = new Router<AppState, {}>({ prefix });
  router.use(verifyCsrf());
  router.use(auth);

  const conversationOf = async (ctx: AppContext): Promise<{ c: Conversation; person: DeskPerson }> => {
    const id = ctx.params.id!;
    const person = await who(ctx);
    const c = isUuid(id) ? await findConversation(deps.pool, id) : null;
    if (!c || !person.subscriberIds.includes(c.subscriberId)) throw new NotFoundError('chat_not_found', 'No such conversation.');
    return { c, person };
  };

  router.get('/list', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { conversations: await (await who(ctx)).list() };
  });

  router.get('/events', async (ctx) => {
    const person = await who(ctx);
    const release = signedInStreamSlot(deps.signedInStreams, person.account, ctx.ip || 'unknown');
    const events = openEventStream(ctx as unknown as Koa.Context);
    events.onClose(release);
    const keys = redisKeys(deps.redisPrefix);
    const stop = await deps.reader.watchAll(person.subscriberIds.map((s) => keys.chatSubscriber(s)), (n) => events.send('changed', n)).catch(() => null);
    // Without the stream (Redis unreachable) the browser reconnects after its retry delay.
    if (!stop) { events.close(); return; }
    events.onClose(stop);
    events.send('hello', { at: new Date().toISOString() });
  });

  /** The transcripts a call-back request came with (the agent's offer shows them). */
  router.get('/of-request/:requestId', async (ctx) => {
    const person = await who(ctx);
    const requestId = ctx.params.requestId!;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { chats: isUuid(requestId) ? await requestTranscripts(deps.pool, requestId, 'UTC', person.subscriberIds) : [] };
  });

  router.get('/:id', async (ctx) => {
    const { c, person } = await conversationOf(ctx);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { conversation: deskView(c, person.staff, deps.webcalls), messages: await listMessages(deps.pool, c.id) };
  });

  router.get('/:id/events', async (ctx) => {
    const { c, person } = await conversationOf(ctx);
    await streamConversation(ctx as unknown as Koa.Context, {
      pool: deps.pool, reader: deps.reader, prefix: deps.redisPrefix, conversationId: c.id, limits: deps.streams, ip: ctx.ip || 'unknown',
      account: { limits: deps.signedInStreams, key: person.account },
    });
  });

  router.post('/:id/messages', async (ctx) => {
    const { c, person } = await conversationOf(ctx);
    const message = await deps.chat.reply(c, person.staff, messageBody(bodyOf(ctx).body));
    ctx.status = 201;
    ctx.body = { message };
  });

  router.post('/:id/take', async (ctx) => {
    const { c, person } = await conversationOf(ctx);
    if (!person.staff.agentId) throw new BadRequestError('not_an_agent', 'Only agents take conversations.');
    await deps.chat.take(c, { ...person.staff, agentId: person.staff.agentId });
    ctx.body = { ok: true };
  });

  router.post('/:id/close', async (ctx) => {
    const { c, person } = await conversationOf(ctx);
    await deps.chat.close(c, person.staff.author);
    ctx.body = { ok: true };
  });

  router.post('/:id/webcall', async (ctx) => {
    const { c, person } = await conversationOf(ctx);
    if (!deps.webcalls) throw new BadRequestError('webcalls_off', 'Web calls are not enabled on this server.');
    ctx.status = 201;
    ctx.body = { message: await deps.chat.inviteWebcall(c, person.staff) };
  });

  router.post('/:id/callback', async (ctx) => {
    const { c } = await conversationOf(ctx);
    const given = bodyOf(ctx).phone;
    const phone = typeof given === 'string' && given.trim() ? given.trim().slice(0, 40) : c.visitorPhone;
    if (!phone) throw new BadRequestError('phone_required', 'The visitor gave no number: ask for one first.', [{ field: 'phone', code: 'phone_required', message: 'Enter the number to call.' }]);
    // The agent asks for the call-back the visitor wanted in the conversation: its consent is the agent's word.
    const result = await deps.chat.callBack(c, phone, { ip: ctx.ip || null, userAgent: ctx.get('user-agent') || null }, true);
    ctx.status = 202;
    ctx.body = { requestId: result.duplicate ? null : result.id, duplicate: result.duplicate ?? false };
  });

  return router;
}
