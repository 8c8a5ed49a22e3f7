/** What a transport is handed: one rendered message. Transports know nothing about templates or languages. */
import type { MailLocale } from "./messages.ts";

/** The values each kind of message carries, keyed by kind: the mailer's inputs and `OutgoingMail.values`. */
export interface MailValues {
  /** `link` is optional: some flows (adding an address while signed in) confirm by code only. */
  "verification-code": { code: string; link?: string };
  "password-reset": { link: string };
  "sign-in-code": { code: string };
  /** A code confirming it is still the account's owner before a sensitive action (`/reverify`). */
  "reverification-code": { code: string };
  "magic-link": { link: string };
  "account-exists": { signInLink: string; resetLink: string };
  "lockout-notice": { minutes: number };
  "primary-email-changed": { newEmail: string };
  invitation: { organizationName: string; inviterName: string; roleName: string; link: string };
  /** signup: an invitation to create an account on an invite-only or waitlist instance, with its sign-up link. */
  "instance-invitation": { link: string; expiresInDays: number };
  /** A change to how the account is protected (a factor added or removed, the password changed), so a hijack is noticed. */
  "security-notice": { event: SecurityNoticeEvent };
}

/** What changed, for `security-notice`. */
export type SecurityNoticeEvent =
  | "totp_added"
  | "totp_removed"
  | "backup_codes_generated"
  | "passkey_added"
  | "passkey_removed"
  | "phone_added"
  | "phone_removed"
  | "password_changed";

export const securityNoticeEvents = [
  "totp_added",
  "totp_removed",
  "backup_codes_generated",
  "passkey_added",
  "passkey_removed",
  "phone_added",
  "phone_removed",
  "password_changed",
] as const satisfies readonly SecurityNoticeEvent[];

export type MailKind = keyof MailValues;

const kindSet: Record<MailKind, true> = {
  "verification-code": true,
  "password-reset": true,
  "sign-in-code": true,
  "reverification-code": true,
  "magic-link": true,
  "account-exists": true,
  "lockout-notice": true,
  "primary-email-changed": true,
  invitation: true,
  "instance-invitation": true,
  "security-notice": true,
};
/** Every kind, checked complete by the type of `kindSet`. */
export const mailKinds = Object.keys(kindSet) as readonly MailKind[];

interface RenderedMail<K extends MailKind> {
  to: string;
  subject: string;
  text: string;
  html: string;
  kind: K;
  /** The language it was rendered in. */
  locale: MailLocale;
  /**
   * The codes and links in the body, so tests and the development outbox can use them without parsing it. Secret:
   * a transport may deliver them but never logs them.
   */
  values: Readonly<MailValues[K]>;
}

/** A rendered message; narrowing on `kind` types `values` (`mail.kind === "sign-in-code" && mail.values.code`). */
export type OutgoingMail = { [K in MailKind]: RenderedMail<K> }[MailKind];

export interface MailTransport {
  /** Resolves once the message was handed over (accepted by the SMTP server, stored in the outbox); rejects otherwise. */
  send(message: OutgoingMail): Promise<void>;
}

export const DEFAULT_MAIL_FROM = "Latchkey <no-reply@localhost>";
