/**
 * The mailer the environment asks for: SMTP when SMTP_URL is set, the development outbox otherwise. Production refuses
 * to start without SMTP_URL, so codes and links are never silently kept in memory instead of delivered.
 */
import { createDevOutboxTransport } from "./dev-outbox.ts";
import { createMailer, type Mailer, type MailerOptions } from "./mailer.ts";
import { DEFAULT_MAIL_FROM, type MailTransport } from "./outgoing-mail.ts";
import { createSmtpTransport } from "./smtp-transport.ts";

export interface MailEnv {
  NODE_ENV?: string | undefined;
  /** `smtp://host:1025` or `smtps://user:pass@host:465`. */
  SMTP_URL?: string | undefined;
  /** The From header; `Latchkey <no-reply@localhost>` by default. */
  MAIL_FROM?: string | undefined;
}

/** Empty strings count as unset, as in most deployment tools. */
const read = (value: string | undefined) => (value?.trim() ? value.trim() : undefined);

export function createMailTransportFromEnv(env: MailEnv): MailTransport {
  const smtpUrl = read(env.SMTP_URL);
  if (smtpUrl) return createSmtpTransport(smtpUrl, { from: read(env.MAIL_FROM) ?? DEFAULT_MAIL_FROM });
  if (read(env.NODE_ENV) === "production") {
    throw new Error(
      "SMTP_URL is required in production (e.g. smtps://user:password@smtp.example.com:465); without it no email could be delivered.",
    );
  }
  return createDevOutboxTransport();
}

/** `createMailerFromEnv(process.env)`; `appName` and `defaultLocale` as for `createMailer`. */
export function createMailerFromEnv(env: MailEnv, options: Omit<MailerOptions, "transport"> = {}): Mailer {
  return createMailer({ ...options, transport: createMailTransportFromEnv(env) });
}
