import type { Redis } from 'ioredis';
import { redisKeys } from '../platform/redis-keys.ts';
import { TooManyRequestsError } from '../platform/errors.ts';
import { requesterNetwork } from '../platform/requester-network.ts';

export interface ChatLimitConfig {
  CHAT_MESSAGES_PER_MIN: number;
  CHAT_MESSAGES_PER_IP_MIN: number;
  CHAT_STARTS_PER_IP_HOUR: number;
}

/**
 * Visitors' chat limits, fixed windows counted in Redis (so every web process counts together): messages per
 * conversation and per client IP each minute, conversations started per IP each hour. A refused message is
 * counted too, so hammering past the limit keeps it closed for the window.
 */
export function createChatLimits(redis: Redis, prefix: string, config: ChatLimitConfig) {
  const keys = redisKeys(prefix);
  const hit = async (key: string, windowSec: number): Promise<number> => {
    const [[, n]] = (await redis.multi().incr(key).expire(key, windowSec, 'NX').exec()) as [[unknown, number]];
    return n;
  };
  const refuse = (message: string, retryAfterSec: number) => { throw new TooManyRequestsError('chat_rate_limited', message, { retryAfterSec }); };
  return {
    async message(conversationId: string, ip: string | null): Promise<void> {
      const [conv, byIp] = await Promise.all([
        hit(keys.chatLimit('conv', conversationId), 60),
        ip ? hit(keys.chatLimit('ip', requesterNetwork(ip)), 60) : Promise.resolve(0),
      ]);
      if (conv > config.CHAT_MESSAGES_PER_MIN || byIp > config.CHAT_MESSAGES_PER_IP_MIN) refuse('You are sending messages too fast. Wait a moment and try again.', 60);
    },
    async start(ip: string | null): Promise<void> {
      if (!ip) return;
      if ((await hit(keys.chatLimit('start', requesterNetwork(ip)), 3600)) > config.CHAT_STARTS_PER_IP_HOUR) refuse('Too many conversations from your network. Try again later.', 3600);
    },
  };
}

export type ChatLimits = ReturnType<typeof createChatLimits>;
