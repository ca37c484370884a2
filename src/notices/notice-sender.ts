import type { Pool } from '../platform/db/pool.ts';
import type { Logger } from '../platform/logger.ts';
import { createAgentResetLink, createResetLink, RESET_TTL_SEC } from '../auth/password-reset.service.ts';
import { findAgentLogin } from '../agents/agent.repository.ts';
import { findLoginByEmail } from '../subscribers/subscriber.repository.ts';
import type { EmailTemplates } from './email-templates.ts';
import type { Mailer } from './mailer.ts';
import { composeNotice, composePasswordReset } from './notice-mail.ts';
import { loadNotice, markSent } from './notice.repository.ts';
import type { NoticeJob } from './notice-queue.ts';
import { signUnsubscribe } from './unsubscribe-token.ts';

export interface NoticeSenderDeps {
  pool: Pool;
  mailer: Mailer;
  templates: EmailTemplates;
  log: Logger;
  publicUrl: () => string;
  unsubscribeKey: Buffer;
}

/** The URL of one owner's unsubscribe link for one event type. */
export const unsubscribeUrl = (publicUrl: string, key: Buffer, c: Parameters<typeof signUnsubscribe>[1]) =>
  `${publicUrl}/notices/unsubscribe/${signUnsubscribe(key, c)}`;

/**
 * Sends what one queue job stands for. A throw is a failed try (the queue retries it with back-off). A notice is
 * sent at most once as far as this side can tell (sent_at), and not at all once its owner has turned the event
 * off or has no address any more.
 */
export function createNoticeSender(d: NoticeSenderDeps) {
  async function sendNotice(id: string): Promise<'sent' | 'skipped'> {
    const n = await loadNotice(d.pool, id);
    if (!n || n.sentAt || !n.wanted || !n.subscriber.email) return 'skipped';
    const publicUrl = d.publicUrl();
    const unsubscribe = unsubscribeUrl(publicUrl, d.unsubscribeKey, { subscriberId: n.subscriber.id, kind: n.kind });
    const parts = composeNotice(d.templates, { kind: n.kind, payload: n.payload, subscriber: n.subscriber, publicUrl, unsubscribeUrl: unsubscribe });
    await d.mailer.send(n.subscriber.email, parts, { unsubscribeUrl: unsubscribe });
    await markSent(d.pool, n.id);
    d.log.info({ noticeId: n.id, kind: n.kind, subscriberId: n.subscriber.id }, 'notice sent');
    return 'sent';
  }

  /**
   * A forgotten-password mail: a new one-time link (the operator's kind, same rules; it voids older ones) to the
   * account with this address. No account, or a suspended one: nothing is sent, and nobody is told.
   */
  async function sendPasswordReset(email: string): Promise<'sent' | 'skipped'> {
    const account = await findLoginByEmail(d.pool, email);
    if (!account || account.status !== 'active') return 'skipped';
    const link = await createResetLink(d.pool, { subscriberId: account.id, createdBy: 'email', publicUrl: d.publicUrl() });
    await d.mailer.send(email, composePasswordReset(d.templates, { name: account.name, link, validHours: RESET_TTL_SEC / 3600 }));
    d.log.info({ subscriberId: account.id }, 'password reset mail sent');
    return 'sent';
  }

  /**
   * The same for an agent: only one whose login is an email address (and active, and not of a suspended
   * subscriber) gets a mail, at that address.
   */
  async function sendAgentPasswordReset(login: string): Promise<'sent' | 'skipped'> {
    const found = login.includes('@') ? await findAgentLogin(d.pool, login) : null;
    if (!found || found.ownerSuspended) return 'skipped';
    const link = await createAgentResetLink(d.pool, { agentId: found.agent.id, createdBy: 'email', publicUrl: d.publicUrl() });
    await d.mailer.send(login, composePasswordReset(d.templates, { name: found.agent.name, link, validHours: RESET_TTL_SEC / 3600 }));
    d.log.info({ agentId: found.agent.id }, 'agent password reset mail sent');
    return 'sent';
  }

  return {
    process(job: NoticeJob): Promise<'sent' | 'skipped'> {
      if ('noticeId' in job) return sendNotice(job.noticeId);
      if ('passwordReset' in job) return sendPasswordReset(job.passwordReset.email);
      return sendAgentPasswordReset(job.agentPasswordReset.login);
    },
  };
}
