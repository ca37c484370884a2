import type Koa from 'koa';
import Router from 'koa-router';
import type { Pool } from '../platform/db/pool.ts';
import { BadRequestError, NotFoundError, SubscriberNotFoundError, SubscriberSuspendedError } from '../platform/errors.ts';
import { isUuid } from '../platform/validation/ids.ts';
import { isLoopback } from '../platform/net-address.ts';
import type { StreamLimits } from '../web/stream-limits.ts';
import type { AppContext, AppState } from '../web/context.ts';
import type { Render } from '../web/views.ts';
import type { SubscriberCache } from '../subscribers/subscriber-cache.ts';
import { findRequest, findRequestTokenHash } from '../requests/callback.repository.ts';
import { tokenMatches } from '../requests/status-token.ts';
import { cleanUrl } from '../requests/callback-input.ts';
import { deriveKey, verifyFormToken } from '../policy/signed-token.ts';
import { listMessages } from './chat.repository.ts';
import type { ChatService } from './chat.service.ts';
import type { ChatLimits } from './chat-limits.ts';
import type { ChatStreamReader } from './chat-stream.ts';
import { streamConversation } from './conversation-events.ts';
import { messageBody, shortText } from './chat-text.ts';

export interface VisitorChatDeps {
  pool: Pool;
  chat: ChatService;
  limits: ChatLimits;
  reader: ChatStreamReader;
  redisPrefix: string;
  streams: StreamLimits;
  subscribers: SubscriberCache;
  render: Render;
  /** A fresh form token for the hosted chat page (the abuse-protection module's, bound to the client IP). */
  formToken: (slug: string, ip: string | null) => Promise<string>;
  /** How form tokens are checked: the policy's secret and rules (src/policy). */
  formTokens: { secret: string; ttlSec: number; minAgeMs: number; loopbackExempt: boolean };
  /**
   * Where web calls are on: the widget's call chunk (its path under Beckon) and the page policy that lets it open
   * Asterisk's WebSocket. The hosted chat page then offers Call now when the team invites to a web call.
   */
  webcall?: () => Promise<{ chunk: string; csp: string }>;
}

type Body = Record<string, unknown>;
const bodyOf = (ctx: AppContext): Body => ((ctx.request as unknown as { body?: Body }).body ?? {}) as Body;
const tokenOf = (ctx: AppContext): unknown => bodyOf(ctx).token || ctx.get('x-chat-token') || ctx.query.token;

/**
 * The visitor's side of chat: the hosted chat page (/c/:slug/chat), starting a conversation (with a form token,
 * or from a call-back's status page with that request's token), its live messages, sending, closing and asking
 * for a call-back. The conversation's token, given once at the start, is the visitor's only credential.
 */
export function visitorChatRoutes(deps: VisitorChatDeps): Router<AppState, {}> {
  const router = new Router<AppState, {}>();
  const formKey = deriveKey(deps.formTokens.secret, 'form-token');

  router.get('/c/:slug/chat', async (ctx) => {
    const entry = await deps.subscribers.get(ctx.params.slug!);
    if (!entry) throw new SubscriberNotFoundError('There is no chat at this address.');
    const pageUrl = typeof ctx.query.pageUrl === 'string' ? ctx.query.pageUrl : ctx.get('referer');
    ctx.set('Cache-Control', 'no-store');
    const webcall = deps.webcall ? await deps.webcall() : null;
    if (webcall) ctx.set('Content-Security-Policy', webcall.csp);
    ctx.type = 'html';
    ctx.body = deps.render('chat/page', {
      webcallChunk: webcall?.chunk ?? '',
      title: `Message ${entry.subscriber.name}`, subscriber: entry.subscriber,
      departments: entry.departments.map((d) => ({ id: d.id, name: d.name })), pageUrl: cleanUrl(pageUrl) ?? '',
      formToken: await deps.formToken(entry.subscriber.slug, ctx.ip || null),
    });
  });

  // Each visitor endpoint answers at /chat/… (the hosted pages, same origin) and at /api/v1/chat/… (the widget on a
  // subscriber's site, under the public API's CORS, which lets a site start chats only for its own subscriber).
  const at = (path: string) => [`/chat${path}`, `/api/v1/chat${path}`];

  /** Starts a conversation: from a status page (requestId and its token) or the hosted page (form token). */
  router.post(at('/start'), async (ctx) => {
    const b = bodyOf(ctx);
    if (typeof b.website === 'string' && b.website.trim() !== '') throw new BadRequestError('spam_suspected', 'This message looks automated and was not accepted.');
    let subscriberId: string;
    let requestId: string | null = null;
    let departmentId: string | null = null;
    // Who and where the visitor is: as typed on the hosted page; from a status page, what the request says (the
    // status page's own address carries its token and is never stored).
    let visitor = {
      visitorName: shortText(b.name, 80), visitorPhone: shortText(b.phone, 40),
      pageUrl: cleanUrl(typeof b.pageUrl === 'string' ? b.pageUrl : null), referrer: cleanUrl(typeof b.referrer === 'string' ? b.referrer : null),
    };
    if (b.requestId !== undefined) {
      const hash = isUuid(b.requestId) ? await findRequestTokenHash(deps.pool, b.requestId) : null;
      const request = hash && tokenMatches(b.requestToken, hash) ? await findRequest(deps.pool, b.requestId as string) : null;
      if (!request) throw new NotFoundError('callback_not_found', 'No call-back request with that id and token.');
      // The widget names its subscriber too (for CORS): the request must be that subscriber's.
      if (typeof b.subscriber === 'string' && (await deps.subscribers.get(b.subscriber))?.subscriber.id !== request.subscriberId) {
        throw new NotFoundError('callback_not_found', 'No call-back request with that id and token.');
      }
      subscriberId = request.subscriberId;
      requestId = request.id;
      departmentId = request.departmentId;
      visitor = { visitorName: request.visitorName, visitorPhone: request.phoneE164 || null, pageUrl: request.pageUrl, referrer: request.referrer };
    } else {
      const slug = typeof b.subscriber === 'string' ? b.subscriber : '';
      const entry = slug ? await deps.subscribers.get(slug) : null;
      if (!entry) throw new SubscriberNotFoundError();
      if (!(deps.formTokens.loopbackExempt && isLoopback(ctx.ip || null))) {
        const check = verifyFormToken(formKey, b.formToken, entry.subscriber.slug, Date.now(), { ttlSec: deps.formTokens.ttlSec, minAgeMs: deps.formTokens.minAgeMs, bind: ctx.ip || '' });
        if (!check.ok) throw new BadRequestError(check.code, 'This page could not be verified. Please reload it and try again.');
      }
      if (entry.subscriber.status !== 'active') throw new SubscriberSuspendedError();
      subscriberId = entry.subscriber.id;
      departmentId = entry.departments.find((d) => d.id === b.department)?.id ?? null;
    }
    await deps.limits.start(ctx.ip || null);
    const first = b.body !== undefined && b.body !== '' ? messageBody(b.body) : null;
    const { conversation, token } = await deps.chat.start({ subscriberId, departmentId, requestId, ...visitor, ip: ctx.ip || null }, first);
    ctx.status = 201;
    ctx.body = { id: conversation.id, token };
  });

  const mine = async (ctx: AppContext) => {
    const id = ctx.params.id!;
    if (!isUuid(id)) throw new NotFoundError('chat_not_found', 'No conversation with that id and token.');
    return deps.chat.visitorConversation(id, tokenOf(ctx));
  };

  router.get(at('/:id'), async (ctx) => {
    const c = await mine(ctx);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { id: c.id, status: c.status, callbackRequested: c.callbackRequestId !== null, messages: await listMessages(deps.pool, c.id) };
  });

  router.get(at('/:id/events'), async (ctx) => {
    const c = await mine(ctx);
    await streamConversation(ctx as unknown as Koa.Context, { pool: deps.pool, reader: deps.reader, prefix: deps.redisPrefix, conversationId: c.id, limits: deps.streams, ip: ctx.ip || 'unknown' });
  });

  router.post(at('/:id/messages'), async (ctx) => {
    const c = await mine(ctx);
    const body = messageBody(bodyOf(ctx).body);
    await deps.limits.message(c.id, ctx.ip || null);
    const message = await deps.chat.post(c, { author: 'visitor', authorName: c.visitorName, body });
    ctx.status = 201;
    ctx.body = { message };
  });

  router.post(at('/:id/close'), async (ctx) => {
    await deps.chat.close(await mine(ctx), 'visitor');
    ctx.body = { ok: true };
  });

  router.post(at('/:id/callback'), async (ctx) => {
    const c = await mine(ctx);
    const phone = shortText(bodyOf(ctx).phone, 40);
    if (!phone) throw new BadRequestError('phone_required', 'Enter your phone number.', [{ field: 'phone', code: 'phone_required', message: 'Enter your phone number.' }]);
    const consent = bodyOf(ctx).consent === true || bodyOf(ctx).consent === 'yes';
    const result = await deps.chat.callBack(c, phone, { ip: ctx.ip || null, userAgent: ctx.get('user-agent') || null }, consent);
    ctx.status = 202;
    ctx.body = result.duplicate ? { duplicate: true }
      : { id: result.id, statusUrl: `/c/${encodeURIComponent(result.slug)}/status/${result.id}?token=${encodeURIComponent(result.statusToken)}` };
  });

  return router;
}
