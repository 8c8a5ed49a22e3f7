/**
 * Which language a request gets: the signed-in user's preference, else the `lk_locale` cookie set by the language
 * switcher, else the best match from Accept-Language, else en-US.
 */
import { defaultLocale, isLocale, locales, type Locale } from "./locales";

export const LOCALE_COOKIE = "lk_locale";
const ONE_YEAR_SECONDS = 60 * 60 * 24 * 365;
const MAX_HEADER_LENGTH = 4096;
const MAX_ENTRIES = 32;

const languageTag = /^[a-z]{1,8}(-[a-z0-9]{1,8})*$/i;
const quality = /^q=(0(\.\d{0,3})?|1(\.0{0,3})?)$/i;

/** A supported locale for a BCP 47 tag: exact match first (any case), then the same language (`pl`, `pl-XX` → pl-PL). */
export function matchLocale(tag: string | null | undefined): Locale | null {
  if (!tag || !languageTag.test(tag)) return null;
  const lower = tag.toLowerCase();
  const exact = locales.find((locale) => locale.toLowerCase() === lower);
  if (exact) return exact;
  const language = lower.split("-")[0];
  return locales.find((locale) => locale.toLowerCase().split("-")[0] === language) ?? null;
}

interface WeightedTag {
  tag: string;
  q: number;
}

/** The entries of an Accept-Language header, best first; malformed entries are dropped. */
export function parseAcceptLanguage(header: string | null | undefined): WeightedTag[] {
  if (!header || header.length > MAX_HEADER_LENGTH) return [];
  const entries: WeightedTag[] = [];
  for (const part of header.split(",").slice(0, MAX_ENTRIES)) {
    const [rawTag, ...params] = part.split(";").map((s) => s.trim());
    if (!rawTag || (rawTag !== "*" && !languageTag.test(rawTag))) continue;
    let q = 1;
    const qParam = params.find((p) => /^q=/i.test(p));
    if (qParam !== undefined) {
      if (!quality.test(qParam)) continue;
      q = Number(qParam.slice(2));
    }
    if (q > 0) entries.push({ tag: rawTag, q });
  }
  // Array.prototype.sort is stable: equal weights keep the order the client sent.
  return entries.sort((a, b) => b.q - a.q);
}

/** The best supported locale for an Accept-Language header, or null when nothing matches. */
export function matchAcceptLanguage(header: string | null | undefined): Locale | null {
  for (const { tag } of parseAcceptLanguage(header)) {
    if (tag === "*") return defaultLocale;
    const match = matchLocale(tag);
    if (match) return match;
  }
  return null;
}

/** One cookie's value from the Cookie header, or null. */
export function readCookie(request: Request, name: string): string | null {
  const header = request.headers.get("Cookie");
  if (!header) return null;
  for (const pair of header.split(";")) {
    const index = pair.indexOf("=");
    if (index === -1) continue;
    if (pair.slice(0, index).trim() !== name) continue;
    const value = pair.slice(index + 1).trim();
    try {
      return decodeURIComponent(value);
    } catch {
      return null;
    }
  }
  return null;
}

export function resolveLocale(request: Request, userPreference?: string | null): Locale {
  return (
    matchLocale(userPreference) ??
    matchLocale(readCookie(request, LOCALE_COOKIE)) ??
    matchAcceptLanguage(request.headers.get("Accept-Language")) ??
    defaultLocale
  );
}

/** The Set-Cookie value remembering a language choice for a year. */
export function serializeLocaleCookie(locale: Locale, options: { secure: boolean }): string {
  if (!isLocale(locale)) throw new Error("Unsupported locale");
  const attributes = [`${LOCALE_COOKIE}=${locale}`, "Path=/", `Max-Age=${ONE_YEAR_SECONDS}`, "SameSite=Lax", "HttpOnly"];
  if (options.secure) attributes.push("Secure");
  return attributes.join("; ");
}
