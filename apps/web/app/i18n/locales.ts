import { format, type Dictionary, type MessageKey, type MessageVars } from "./dictionary";
import { enUS } from "./en-US";
import { plPL } from "./pl-PL";

export const locales = ["en-US", "pl-PL"] as const;
export type Locale = (typeof locales)[number];
export const defaultLocale: Locale = "en-US";

/** Each language's name in itself, for the language switcher. */
export const localeNames: Record<Locale, string> = { "en-US": "English", "pl-PL": "Polski" };

const dictionaries: Record<Locale, Dictionary> = { "en-US": enUS, "pl-PL": plPL };

export function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && (locales as readonly string[]).includes(value);
}

export function getDictionary(locale: Locale): Dictionary {
  return dictionaries[locale];
}

/** Translates on the server (loaders, actions, meta). Components use `useT()` instead. */
export function t(locale: Locale, key: MessageKey, vars?: MessageVars): string {
  return format(dictionaries[locale], key, vars);
}
