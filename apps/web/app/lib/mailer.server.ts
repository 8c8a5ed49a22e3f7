/** The process's mailer: SMTP when SMTP_URL is set, the development outbox (/dev/outbox) otherwise. */
import { createMailerFromEnv, type Mailer } from "@latchkey/api";
import { getEnv } from "./env.server";

const globalForMail = globalThis as typeof globalThis & { __latchkeyMailer?: Mailer };

export function getMailer(): Mailer {
  const env = getEnv();
  globalForMail.__latchkeyMailer ??= createMailerFromEnv({ NODE_ENV: env.NODE_ENV, SMTP_URL: env.SMTP_URL, MAIL_FROM: env.MAIL_FROM });
  return globalForMail.__latchkeyMailer;
}
