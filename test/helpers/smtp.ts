import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import { until } from './wait-for.ts';

/** One mail as the SMTP server received it: the envelope's recipients and the parsed message. */
export interface ReceivedMail { to: string[]; mail: ParsedMail; raw: string }

export interface TestSmtp {
  /** smtp://127.0.0.1:<port>, for SMTP_URL. */
  url: string;
  received: ReceivedMail[];
  /** The next `n` messages are refused with a temporary error (451) at the end of their data. */
  refuseNext(n: number): void;
  /** How many messages were refused so far. */
  readonly refused: number;
  /** Waits for a mail to this address whose subject matches (`ms` at most); the first one found. */
  waitFor(to: string, subject?: RegExp, ms?: number): Promise<ReceivedMail | undefined>;
  mailsTo(to: string): ReceivedMail[];
  close(): Promise<void>;
}

/** A real SMTP server on a free port of 127.0.0.1 (no TLS, no login), keeping every message it accepts. */
export async function startTestSmtp(): Promise<TestSmtp> {
  const received: ReceivedMail[] = [];
  let refuse = 0;
  let refused = 0;
  const server = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'], logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (refuse > 0) {
          refuse--;
          refused++;
          const err = Object.assign(new Error('try again later'), { responseCode: 451 });
          callback(err);
          return;
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw).then((mail) => {
          received.push({ to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()), mail, raw });
          callback();
        }, callback);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  const mailsTo = (to: string) => received.filter((m) => m.to.includes(to.toLowerCase()));
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    refuseNext(n) { refuse = n; },
    get refused() { return refused; },
    mailsTo,
    waitFor: (to, subject, ms = 15000) => until(() => mailsTo(to).find((m) => !subject || subject.test(m.mail.subject ?? '')), ms),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
