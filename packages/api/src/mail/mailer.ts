/**
 * The mailer: one typed function per email the flows send. It renders the message in the recipient's language and
 * hands it to a transport (SMTP, or the development outbox); it never logs and never swallows a failure, so the
 * caller decides what a failed delivery means for its flow.
 */
import { z } from "zod";
import type { MailKind, MailTransport, MailValues, OutgoingMail } from "./outgoing-mail.ts";
import { resolveMailLocale, type MailLocale } from "./messages.ts";
import { renderMail } from "./templates.ts";

export interface MailerOptions {
  transport: MailTransport;
  /** Named in subjects and bodies; "Latchkey" by default. */
  appName?: string;
  /** The language when a recipient has no (supported) preference; en-US by default. */
  defaultLocale?: MailLocale;
}

/** Who gets the email and their language preference as stored (`pl-PL`, `pl`, null); unsupported ones fall back. */
export interface Recipient {
  to: string;
  locale?: string | null;
}

export type SendMailInput<K extends MailKind> = Recipient & MailValues[K];

export interface Mailer {
  /** A code to type (and, when given, a link to click), confirming an email address. */
  sendVerificationCode(input: SendMailInput<"verification-code">): Promise<void>;
  sendPasswordReset(input: SendMailInput<"password-reset">): Promise<void>;
  sendSignInCode(input: SendMailInput<"sign-in-code">): Promise<void>;
  /** A code to confirm the account before a sensitive action, for users who step up without a password. */
  sendReverificationCode(input: SendMailInput<"reverification-code">): Promise<void>;
  sendMagicLink(input: SendMailInput<"magic-link">): Promise<void>;
  /** Someone tried to sign up with an address that has an account; the sign-up itself answers as for a new one. */
  sendAccountExists(input: SendMailInput<"account-exists">): Promise<void>;
  /** Sign-in was locked after repeated failures. */
  sendLockoutNotice(input: SendMailInput<"lockout-notice">): Promise<void>;
  /** Sent to the old primary address when another one became primary, so a hijack does not go unnoticed. */
  sendPrimaryEmailChanged(input: SendMailInput<"primary-email-changed">): Promise<void>;
  /** An invitation to join an organization, with its accept link. */
  sendInvitation(input: SendMailInput<"invitation">): Promise<void>;
  /** An invitation to create an account on this instance (invite-only or waitlist sign-up), with its sign-up link. */
  sendInstanceInvitation(input: SendMailInput<"instance-invitation">): Promise<void>;
  /** A factor was added or removed, or the password changed (use `sendSecurityNotice` in `security-notice.ts`). */
  sendSecurityNotice(input: SendMailInput<"security-notice">): Promise<void>;
}

/** A header-safe single line: control characters (a line break could forge headers) become spaces. */
function singleLine(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
}

const singleAddress = z.email();

/** One plain address, as sign-up accepts them: never a list, a display name or a header smuggled in after a line break. */
function requireRecipient(to: string): string {
  const address = to.trim();
  if (!singleAddress.safeParse(address).success) throw new TypeError("The recipient must be one valid email address.");
  return address;
}

export function createMailer(options: MailerOptions): Mailer {
  const appName = singleLine(options.appName ?? "") || "Latchkey";
  const defaultLocale = options.defaultLocale ?? "en-US";

  // async, so a bad input (a link that isn't http(s)) rejects like a failed delivery instead of throwing.
  async function send<K extends MailKind>(kind: K, input: SendMailInput<K>): Promise<void> {
    const { to, locale: preferred, ...rest } = input;
    const values = rest as unknown as MailValues[K];
    const locale = resolveMailLocale(preferred, defaultLocale);
    const rendered = renderMail(kind, values, { locale, appName });
    const message = { to: requireRecipient(to), kind, locale, values, ...rendered } as OutgoingMail;
    await options.transport.send(message);
  }

  return {
    sendVerificationCode: (input) => send("verification-code", input),
    sendPasswordReset: (input) => send("password-reset", input),
    sendSignInCode: (input) => send("sign-in-code", input),
    sendReverificationCode: (input) => send("reverification-code", input),
    sendMagicLink: (input) => send("magic-link", input),
    sendAccountExists: (input) => send("account-exists", input),
    sendLockoutNotice: (input) => send("lockout-notice", input),
    sendPrimaryEmailChanged: (input) => send("primary-email-changed", input),
    sendInvitation: (input) => send("invitation", input),
    sendInstanceInvitation: (input) => send("instance-invitation", input),
    sendSecurityNotice: (input) => send("security-notice", input),
  };
}
