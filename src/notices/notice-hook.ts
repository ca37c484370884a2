import type { Pool } from '../platform/db/pool.ts';
import { decideNotice } from './notice.repository.ts';
import type { NoticeProducer } from './notice-queue.ts';

/**
 * What another feature calls to have an owner told of an event the notice pass cannot see by itself: a chat
 * that waited with nobody online (the chat feature decides when), a webhook endpoint turned off after failing for
 * the whole window (the webhook worker). The owner's choice is checked when the notice is decided and again when
 * it is sent; one notice per conversation, one per endpoint and time it was turned off. A job Redis refused is
 * queued by the next notice pass (the row stays without enqueued_at).
 */
export interface NoticeHook {
  chatUnanswered(c: { subscriberId: string; conversationId: string; visitorName?: string | null; message?: string | null }): Promise<void>;
  webhookDisabled(e: { subscriberId: string; endpointId: string; url: string; failingSince: Date | null; disabledAt: Date }): Promise<void>;
}

export function createNoticeHook(pool: Pool, queue: Pick<NoticeProducer, 'notice'>): NoticeHook {
  return {
    async chatUnanswered(c) {
      const id = await decideNotice(pool, {
        subscriberId: c.subscriberId, kind: 'chat_unanswered', subject: c.conversationId,
        payload: { conversationId: c.conversationId, visitorName: c.visitorName ?? null, message: c.message ?? null },
      });
      if (id) await queue.notice(id).catch(() => {});
    },
    async webhookDisabled(e) {
      const id = await decideNotice(pool, {
        subscriberId: e.subscriberId, kind: 'webhook_disabled', subject: `${e.endpointId}@${e.disabledAt.toISOString()}`,
        payload: { endpointId: e.endpointId, url: e.url, failingSince: e.failingSince?.toISOString() ?? null, disabledAt: e.disabledAt.toISOString() },
      });
      if (id) await queue.notice(id).catch(() => {});
    },
  };
}
