import Router from 'koa-router';
import type { Redis } from 'ioredis';
import type { Pool } from '../platform/db/pool.ts';
import type { Logger } from '../platform/logger.ts';
import { createStreamLimits, type StreamLimits } from '../web/stream-limits.ts';
import type { AppContext, AppState } from '../web/context.ts';
import type { Render } from '../web/views.ts';
import { portalNav } from '../web/portal-nav.ts';
import { csrfToken } from '../auth/csrf.ts';
import type { SessionUser } from '../auth/session.ts';
import { currentSubscriber, requireSubscriber } from '../auth/subscriber-session.ts';
import { workingSubscriberIds } from '../agents/agent.repository.ts';
import { requireAgent } from '../agents/agent-session.ts';
import type { SubscriberCache } from '../subscribers/subscriber-cache.ts';
import type { AcceptService } from '../requests/accept.service.ts';
import { listAgentConversations, listSubscriberConversations } from './chat.repository.ts';
import { createChatService, type ChatNoticePort } from './chat.service.ts';
import { createChatLimits, type ChatLimitConfig } from './chat-limits.ts';
import { ChatStreamReader } from './chat-stream.ts';
import { deskRoutes } from './desk.routes.ts';
import { visitorChatRoutes, type VisitorChatDeps } from './visitor-chat.routes.ts';

export interface ChatWebDeps {
  pool: Pool;
  redis: Redis;
  prefix: string;
  log: Logger;
  config: ChatLimitConfig & { CHAT_MAX_PER_AGENT: number; CHAT_ANSWER_TIMEOUT_SEC: number; CHAT_RETENTION_DAYS: number; STREAMS_PER_REQUEST: number; STREAMS_PER_IP: number; WEBCALL_ENABLED?: boolean };
  accept: Pick<AcceptService, 'accept'>;
  subscribers: SubscriberCache;
  render: Render;
  notices: ChatNoticePort | null;
  kickWebhook?: (endpointId: string) => Promise<void>;
  formToken: (slug: string, ip: string | null) => Promise<string>;
  formTokens: { secret: string; ttlSec: number; minAgeMs: number; loopbackExempt: boolean };
  webcall?: VisitorChatDeps['webcall'];
  /** Caps on signed-in accounts' event streams (per agent or subscriber, and in all), shared with the agent console. */
  signedInStreams: StreamLimits;
}

/**
 * The web process's chat: the visitor's routes, the agent console's desk, the portal inbox, and one stream reader
 * (its blocking Redis connection open only while some stream is watched, so a stopping web process holds none).
 */
export function chatWeb(deps: ChatWebDeps): { routers: Router<AppState, {}>[] } {
  const reader = new ChatStreamReader(deps.redis, deps.log);
  const chat = createChatService({
    pool: deps.pool, redis: deps.redis, prefix: deps.prefix, log: deps.log, config: deps.config, accept: deps.accept,
    notices: deps.notices, kickWebhook: deps.kickWebhook,
  });
  const streams = createStreamLimits({ perKey: deps.config.STREAMS_PER_REQUEST, perIp: deps.config.STREAMS_PER_IP });
  const desk = { pool: deps.pool, chat, reader, redisPrefix: deps.prefix, streams, signedInStreams: deps.signedInStreams, webcalls: deps.config.WEBCALL_ENABLED ?? false };

  // An agent answers the chats of the subscribers it works for now: a suspended one's are closed to it.
  const agentDesk = deskRoutes(desk, '/agent/chats', requireAgent(deps.pool), async (ctx) => {
    const user = ctx.state.user as SessionUser;
    return {
      account: `agent:${user.id}`,
      subscriberIds: await workingSubscriberIds(deps.pool, user.id),
      staff: { author: 'agent', name: user.name ?? 'Agent', agentId: user.id },
      list: () => listAgentConversations(deps.pool, user.id),
    };
  });

  const ownerDesk = deskRoutes(desk, '/portal/inbox/chats', requireSubscriber(deps.pool), async (ctx) => {
    const s = await currentSubscriber(ctx, deps.pool);
    return { account: `subscriber:${s.id}`, subscriberIds: [s.id], staff: { author: 'owner', name: s.name }, list: () => listSubscriberConversations(deps.pool, s.id) };
  });

  const inboxPage = new Router<AppState, {}>();
  inboxPage.get('/portal/inbox', requireSubscriber(deps.pool), async (ctx: AppContext) => {
    await currentSubscriber(ctx, deps.pool);
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = deps.render('portal/inbox', { title: 'Inbox', portalNav: portalNav('/portal/inbox', csrfToken(ctx)), csrf: csrfToken(ctx) });
  });

  const visitor = visitorChatRoutes({
    pool: deps.pool, chat, limits: createChatLimits(deps.redis, deps.prefix, deps.config), reader, redisPrefix: deps.prefix, streams,
    subscribers: deps.subscribers, render: deps.render, formToken: deps.formToken, formTokens: deps.formTokens,
    webcall: deps.webcall,
  });

  return { routers: [visitor, inboxPage, ownerDesk, agentDesk] };
}
