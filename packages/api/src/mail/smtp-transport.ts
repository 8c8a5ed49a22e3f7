/**
 * Delivery over SMTP with nodemailer, configured by one URL: `smtp://host:port` (STARTTLS when the server offers it)
 * or `smtps://user:pass@host:465` (TLS from the start). Works with any relay, and with Mailpit on smtp://localhost:1025
 * in development.
 */
import nodemailer from "nodemailer";
import { DEFAULT_MAIL_FROM, type MailTransport } from "./outgoing-mail.ts";

export interface SmtpTransportOptions {
  /** The From header, e.g. `Acme <no-reply@acme.com>`; `Latchkey <no-reply@localhost>` by default. */
  from?: string;
  /** For connecting, the greeting and each wait on the socket; 10 s by default. */
  timeoutMs?: number;
}

/** Throws, naming SMTP_URL but never echoing it (it may hold a password), unless it is an smtp:// or smtps:// URL. */
export function requireSmtpUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new TypeError("SMTP_URL must be an smtp:// or smtps:// URL, e.g. smtp://localhost:1025.");
  }
  if ((parsed.protocol !== "smtp:" && parsed.protocol !== "smtps:") || !parsed.hostname) {
    throw new TypeError("SMTP_URL must be an smtp:// or smtps:// URL with a host, e.g. smtp://localhost:1025.");
  }
  return parsed;
}

export function createSmtpTransport(url: string, options: SmtpTransportOptions = {}): MailTransport {
  const parsed = requireSmtpUrl(url);
  const timeout = options.timeoutMs ?? 10_000;
  const transporter = nodemailer.createTransport(
    {
      url: parsed.href,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      dnsTimeout: timeout,
      // Messages are built from strings only; never let a value make nodemailer read a file or fetch a URL.
      disableFileAccess: true,
      disableUrlAccess: true,
    },
    { from: options.from ?? DEFAULT_MAIL_FROM },
  );
  return {
    async send(message) {
      await transporter.sendMail({
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
        // RFC 3834: an automatic message, so vacation responders don't answer it.
        headers: { "Auto-Submitted": "auto-generated" },
      });
    },
  };
}
