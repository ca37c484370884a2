import nodemailer from 'nodemailer';
import type { MailParts } from './email-templates.ts';

/** One mail handed to the SMTP server; resolves once the server accepted it, rejects when it refused. */
export interface Mailer {
  send(to: string, parts: MailParts, o?: { unsubscribeUrl?: string }): Promise<void>;
  close(): void;
}

/**
 * SMTP through nodemailer, from SMTP_URL. A notice carries List-Unsubscribe with its one-click POST
 * (RFC 8058), so mail clients offer their own unsubscribe button.
 */
export function createMailer(smtpUrl: string, from: string): Mailer {
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    async send(to, parts, o = {}) {
      await transport.sendMail({
        from, to, subject: parts.subject, text: parts.text, html: parts.html,
        headers: o.unsubscribeUrl ? { 'List-Unsubscribe': `<${o.unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } : {},
      });
    },
    close() { transport.close(); },
  };
}
