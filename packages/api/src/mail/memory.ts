/**
 * A mailer that keeps what it sends in an array: for tests, scripts and the seed, which need the codes and links an
 * email carries without an inbox. Messages are rendered exactly as for SMTP.
 */
import { createMailer, type Mailer, type MailerOptions } from "./mailer.ts";
import type { OutgoingMail } from "./outgoing-mail.ts";

export function createMemoryMailer(options: Omit<MailerOptions, "transport"> = {}): { mailer: Mailer; sent: OutgoingMail[] } {
  const sent: OutgoingMail[] = [];
  const mailer = createMailer({ ...options, transport: { send: async (mail) => void sent.push(mail) } });
  return { mailer, sent };
}
