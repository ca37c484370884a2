import type { Pool } from '../platform/db/pool.ts';
import { decideNotice } from './notice.repository.ts';
import type { NoticeProducer } from './notice-queue.ts';

/**
 * What another feature calls to have an owner told of an event the notice pass cannot see by itself: a chat
 * that waited with nobody online (the chat feature decides when). The owner's choice is checked when the notice
 * is decided and again when it is sent; one notice per conversation. A job Redis refused is queued by the next
 * notice pass (the row stays without enqueued_at).
 */
export interface NoticeHook {
  chatUnanswered(c: { subscriberId: string; conversationId: string; visitorName?: string | null; message?: string | null }): Promise<void>;
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
  };
}
