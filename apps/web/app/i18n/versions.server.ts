import { createHash } from "node:crypto";
import { getDictionary, locales, type Locale } from "./locales";

/**
 * A short hash of each locale's dictionary: the `v` of the namespace URLs (`/i18n/en-US/security?v=…`), so a browser
 * may keep a namespace for good and a new deployment with changed strings gets new URLs.
 */
const versions = new Map<Locale, string>(
  locales.map((locale) => [locale, createHash("sha256").update(JSON.stringify(getDictionary(locale))).digest("base64url").slice(0, 10)]),
);

export function getDictionaryVersion(locale: Locale): string {
  return versions.get(locale)!;
}
