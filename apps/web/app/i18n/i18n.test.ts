import { describe, expect, test } from "vitest";
import { format } from "./dictionary";
import { enUS } from "./en-US";
import { getDictionary, locales, t } from "./locales";
import { plPL } from "./pl-PL";
import { fallbackMessages } from "./fallback";
import { matchAcceptLanguage, matchLocale, readCookie, resolveLocale, serializeLocaleCookie } from "./resolve-locale";

function request(headers: Record<string, string> = {}) {
  return new Request("http://localhost/", { headers });
}

describe("dictionaries", () => {
  test("the Polish dictionary has exactly the English keys", () => {
    expect(Object.keys(plPL).sort()).toEqual(Object.keys(enUS).sort());
  });

  test("every supported locale has a complete dictionary with no empty messages", () => {
    for (const locale of locales) {
      const dictionary = getDictionary(locale);
      expect(Object.keys(dictionary).sort()).toEqual(Object.keys(enUS).sort());
      for (const [key, message] of Object.entries(dictionary)) expect(message.trim(), `${locale} ${key}`).not.toBe("");
    }
  });

  test("placeholders are the same in every language", () => {
    const placeholders = (message: string) => (message.match(/\{\w+\}/g) ?? []).sort();
    for (const key of Object.keys(enUS) as (keyof typeof enUS)[]) {
      expect(placeholders(plPL[key]), key).toEqual(placeholders(enUS[key]));
    }
  });

  test("the pages' keys say what the product spec says", () => {
    expect(t("en-US", "form.emailAddress")).toBe("Email address");
    expect(t("en-US", "signIn.invalid")).toBe("Email address or password is incorrect.");
    expect(t("en-US", "common.pending")).toBe("Working…");
    expect(t("pl-PL", "nav.signIn")).toBe("Zaloguj się");
  });
});

describe("the fallback messages (used when the root loader sent no dictionary)", () => {
  test("are exactly the en-US messages they copy", () => {
    for (const [key, value] of Object.entries(fallbackMessages)) expect(value, key).toBe(enUS[key as keyof typeof enUS]);
  });

  test("show the key itself for a message they lack", () => {
    expect(format(fallbackMessages, "signIn.title")).toBe("signIn.title");
  });
});

describe("interpolation", () => {
  test("placeholders are replaced by the given values", () => {
    expect(t("en-US", "home.welcome", { name: "Ada" })).toBe("Welcome, Ada");
    expect(t("pl-PL", "home.welcome", { name: "Ada" })).toBe("Witaj, Ada");
    expect(t("en-US", "error.status", { status: 500 })).toBe("Error 500");
  });

  test("a placeholder without a value is left as written", () => {
    expect(t("en-US", "home.welcome")).toBe("Welcome, {name}");
    expect(t("en-US", "home.welcome", { other: "x" })).toBe("Welcome, {name}");
  });

  test("values are inserted literally, never re-interpreted", () => {
    expect(format(enUS, "home.welcome", { name: "{name} $& $1" })).toBe("Welcome, {name} $& $1");
  });
});

describe("Accept-Language matching", () => {
  test("Polish tags match pl-PL and English tags match en-US", () => {
    expect(matchAcceptLanguage("pl")).toBe("pl-PL");
    expect(matchAcceptLanguage("pl-PL")).toBe("pl-PL");
    expect(matchAcceptLanguage("PL-pl")).toBe("pl-PL");
    expect(matchAcceptLanguage("en-GB")).toBe("en-US");
  });

  test("the highest q-value wins regardless of order", () => {
    expect(matchAcceptLanguage("en;q=0.5, pl;q=0.9")).toBe("pl-PL");
    expect(matchAcceptLanguage("pl;q=0.2, en-GB;q=0.8")).toBe("en-US");
    expect(matchAcceptLanguage("de, pl;q=0.7, en;q=0.3")).toBe("pl-PL");
  });

  test("equal q-values keep the order the browser sent", () => {
    expect(matchAcceptLanguage("pl, en")).toBe("pl-PL");
    expect(matchAcceptLanguage("en, pl")).toBe("en-US");
  });

  test("languages with q=0 are refused", () => {
    expect(matchAcceptLanguage("pl;q=0, en;q=0.1")).toBe("en-US");
    expect(matchAcceptLanguage("pl;q=0")).toBeNull();
  });

  test("unsupported languages give no match", () => {
    expect(matchAcceptLanguage("de-DE, fr;q=0.8")).toBeNull();
  });

  test("garbage headers give no match and never throw", () => {
    for (const header of ["", ";;;", "q=1", "pl;q=abc", "pl;q=2", "<script>", "pl-" + "x".repeat(100), "💥", ",,,"]) {
      expect(() => matchAcceptLanguage(header)).not.toThrow();
    }
    expect(matchAcceptLanguage("pl;q=abc")).toBeNull();
    expect(matchAcceptLanguage("pl;q=2")).toBeNull();
    expect(matchAcceptLanguage("x".repeat(5000))).toBeNull();
    expect(matchAcceptLanguage(null)).toBeNull();
  });

  test("a bad entry is skipped and the rest still count", () => {
    expect(matchAcceptLanguage("<bad>, pl;q=0.5")).toBe("pl-PL");
  });

  test("a wildcard means the default language", () => {
    expect(matchAcceptLanguage("de, *;q=0.5")).toBe("en-US");
  });
});

describe("resolveLocale", () => {
  test("a supported user preference beats the cookie and the header", () => {
    const req = request({ Cookie: "lk_locale=en-US", "Accept-Language": "en" });
    expect(resolveLocale(req, "pl-PL")).toBe("pl-PL");
    expect(resolveLocale(req, "pl")).toBe("pl-PL");
  });

  test("an unsupported user preference is ignored", () => {
    expect(resolveLocale(request({ "Accept-Language": "pl" }), "de-DE")).toBe("pl-PL");
  });

  test("the language cookie beats Accept-Language", () => {
    expect(resolveLocale(request({ Cookie: "a=b; lk_locale=pl-PL", "Accept-Language": "en" }))).toBe("pl-PL");
  });

  test("an invalid cookie falls through to Accept-Language", () => {
    expect(resolveLocale(request({ Cookie: "lk_locale=xx%", "Accept-Language": "pl" }))).toBe("pl-PL");
  });

  test("with nothing to go on the locale is en-US", () => {
    expect(resolveLocale(request())).toBe("en-US");
    expect(resolveLocale(request({ "Accept-Language": "ja" }), null)).toBe("en-US");
  });
});

describe("locale helpers", () => {
  test("matchLocale rejects anything that is not a language tag", () => {
    expect(matchLocale("pl")).toBe("pl-PL");
    expect(matchLocale("../../etc")).toBeNull();
    expect(matchLocale("")).toBeNull();
    expect(matchLocale(undefined)).toBeNull();
  });

  test("readCookie finds one cookie among many", () => {
    expect(readCookie(request({ Cookie: "x=1; lk_locale=pl-PL; y=2" }), "lk_locale")).toBe("pl-PL");
    expect(readCookie(request({ Cookie: "xlk_locale=pl-PL" }), "lk_locale")).toBeNull();
  });

  test("the language cookie lasts a year, is HttpOnly and SameSite=Lax", () => {
    const cookie = serializeLocaleCookie("pl-PL", { secure: false });
    expect(cookie).toBe("lk_locale=pl-PL; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly");
    expect(serializeLocaleCookie("pl-PL", { secure: true })).toMatch(/; Secure$/);
  });
});
