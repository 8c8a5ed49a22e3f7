/**
 * What counts as an organization's domain: the rules shared by the domain router (adding, verifying) and by
 * enrollment (matching a user's verified address to a verified domain).
 */
import { z } from "zod";

/** The longest hostname DNS allows. */
const MAX_DOMAIN_LENGTH = 253;

/**
 * Addresses at these domains belong to the public, not to one organization: nobody may claim them, or everyone with a
 * Gmail address would be offered to join whoever verified gmail.com first. A small list of the big ones; subdomains
 * count too (`mail.yahoo.com`).
 */
export const PUBLIC_EMAIL_DOMAINS: ReadonlySet<string> = new Set([
  "gmail.com",
  "googlemail.com",
  "outlook.com",
  "hotmail.com",
  "live.com",
  "msn.com",
  "yahoo.com",
  "ymail.com",
  "aol.com",
  "icloud.com",
  "me.com",
  "mac.com",
  "proton.me",
  "protonmail.com",
  "pm.me",
  "gmx.com",
  "gmx.de",
  "gmx.net",
  "web.de",
  "mail.com",
  "yandex.com",
  "yandex.ru",
  "mail.ru",
  "zoho.com",
  "fastmail.com",
  "hey.com",
  "tutanota.com",
  "tuta.io",
  "qq.com",
  "163.com",
  "wp.pl",
  "o2.pl",
  "onet.pl",
  "interia.pl",
]);

export function isPublicEmailDomain(domain: string): boolean {
  const labels = domain.split(".");
  for (let i = 0; i < labels.length - 1; i += 1) {
    if (PUBLIC_EMAIL_DOMAINS.has(labels.slice(i).join("."))) return true;
  }
  return false;
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * The canonical form of a typed domain: trimmed, lower-case, without a trailing dot, internationalised names in their
 * punycode (`xn--…`) form, so `Bücher.Example.` and `xn--bcher-kva.example` are one domain. Null when it is not a
 * hostname with at least two labels (no ports, paths, addresses, IP literals or a bare TLD).
 */
export function normalizeDomain(typed: string): string | null {
  let value = typed.trim().toLowerCase();
  if (value.endsWith(".")) value = value.slice(0, -1);
  if (value.length === 0 || value.length > MAX_DOMAIN_LENGTH) return null;
  // Anything a URL would read as something other than the host (scheme, credentials, port, path) is refused up front.
  if (/[\s/\\:@?#[\]%*]/.test(value)) return null;
  let ascii: string;
  try {
    // WHATWG URL applies IDNA (UTS #46): Unicode labels become punycode, invalid ones throw.
    ascii = new URL(`http://${value}/`).hostname;
  } catch {
    return null;
  }
  if (ascii.length > MAX_DOMAIN_LENGTH) return null;
  const labels = ascii.split(".");
  if (labels.length < 2 || !labels.every((label) => LABEL.test(label))) return null;
  // A numeric last label is an IPv4 address, not a domain.
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) return null;
  return ascii;
}

/** A domain as typed into a form: normalised, or a 400 naming the field. */
export const domainSchema = z
  .string("Enter a domain.")
  .max(300, "Domain is too long.")
  .transform((value, ctx) => {
    const domain = normalizeDomain(value);
    if (domain === null) {
      ctx.addIssue({ code: "custom", message: value.trim() ? "Enter a domain such as example.com." : "Enter a domain." });
      return z.NEVER;
    }
    return domain;
  });

/** The domain part of a (normalised, lower-case) email address. */
export function domainOfEmail(email: string): string {
  return email.slice(email.lastIndexOf("@") + 1);
}
