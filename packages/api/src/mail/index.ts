/** The email layer's public API; the package index re-exports exactly this. */
export { createMailer, type Mailer, type MailerOptions, type Recipient, type SendMailInput } from "./mailer.ts";
export { createMemoryMailer } from "./memory.ts";
export { logMailFailure } from "./log-failure.ts";
export { createMailerFromEnv, createMailTransportFromEnv, type MailEnv } from "./from-env.ts";
export { createSmtpTransport, type SmtpTransportOptions } from "./smtp-transport.ts";
export {
  createDevOutboxTransport,
  listOutbox,
  clearOutbox,
  OUTBOX_LIMIT,
  type OutboxMessage,
  type DevOutboxOptions,
} from "./dev-outbox.ts";
export {
  DEFAULT_MAIL_FROM,
  mailKinds,
  type MailKind,
  type MailValues,
  type MailTransport,
  type OutgoingMail,
} from "./outgoing-mail.ts";
export { mailLocales, type MailLocale } from "./messages.ts";
