import type { Redis } from 'ioredis';
import type { Pool } from '../platform/db/pool.ts';
import type { Logger } from '../platform/logger.ts';
import { periodic } from '../platform/periodic.ts';
import { createChatService, type ChatNoticePort } from './chat.service.ts';

const RETENTION_INTERVAL_MS = 3600_000;

/**
 * The worker's chat passes: conversations nobody answered in CHAT_ANSWER_TIMEOUT_SEC (the visitor is offered a
 * call-back, the owner told), waiting conversations offered to agents that became free, and hourly deletion of
 * conversations older than CHAT_RETENTION_DAYS. Each conversation is marked unanswered by one statement and
 * assigned by one conditional update, so several workers tell each visitor once and give it to one agent.
 */
export function startChatUpkeep(o: {
  pool: Pool; redis: Redis; prefix: string; log: Logger; notices: ChatNoticePort | null; intervalMs: number;
  config: { CHAT_MAX_PER_AGENT: number; CHAT_ANSWER_TIMEOUT_SEC: number; CHAT_RETENTION_DAYS: number };
  kickWebhook?: (endpointId: string) => Promise<void>;
}) {
  const log = o.log.child({ component: 'chat' });
  const chat = createChatService({ pool: o.pool, redis: o.redis, prefix: o.prefix, log, config: o.config, notices: o.notices, kickWebhook: o.kickWebhook });
  const unanswered = periodic({ name: 'chat-unanswered', intervalMs: o.intervalMs, run: chat.unansweredPass, log, idle: 0, failMessage: 'chat unanswered pass failed' });
  const routing = periodic({ name: 'chat-routing', intervalMs: o.intervalMs, run: chat.routingPass, log, idle: 0, failMessage: 'chat routing pass failed' });
  const retention = periodic({ name: 'chat-retention', intervalMs: RETENTION_INTERVAL_MS, firstDelayMs: 60_000, run: chat.retentionPass, log, idle: 0, failMessage: 'chat retention pass failed' });
  return {
    unanswered, routing, retention,
    stop() { unanswered.stop(); routing.stop(); retention.stop(); },
  };
}
