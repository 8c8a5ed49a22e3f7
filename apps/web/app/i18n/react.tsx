import { createContext, useCallback, useContext, useMemo, type ReactNode } from "react";
import { loadPrefixes, missingPrefixes } from "./client-messages";
import { format, type Dictionary, type MessageKey, type MessageVars } from "./dictionary";
import { fallbackMessages } from "./fallback";
import type { Locale } from "./locales";
import { getServerDictionary } from "./server-dictionaries";

interface I18nValue {
  locale: Locale;
  messages: Partial<Dictionary>;
  /** The dictionary version of `locale` (root loader), for fetching namespaces; absent in tests. */
  version?: string;
}

// Used when nothing above provides messages (the root error boundary after the root loader failed).
const fallback: I18nValue = { locale: "en-US", messages: fallbackMessages };

const I18nContext = createContext<I18nValue>(fallback);

/** The root renders this with the locale and the strings of the matched routes (`route-messages.tsx`). */
export function I18nProvider({ locale, messages, version, children }: I18nValue & { children: ReactNode }) {
  const value = useMemo(() => ({ locale, messages, version }), [locale, messages, version]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useLocale(): Locale {
  return useContext(I18nContext).locale;
}

/**
 * `const t = useT(); t("home.welcome", { name })`. Only the page's own strings (its routes' `handle.i18n`): a key
 * outside them shows as the key, on the server and in the browser alike, and `route-i18n.test.ts` fails.
 */
export function useT(): (key: MessageKey, vars?: MessageVars) => string {
  const { messages } = useContext(I18nContext);
  return useCallback((key: MessageKey, vars?: MessageVars) => format(messages, key, vars), [messages]);
}

/**
 * For keys the server picks at run time (a form error for any API reason, `form-errors.server.ts`), which a page
 * cannot list in advance. The server renders them from the whole dictionary; the browser fetches the key's namespace
 * when it lacks it, suspending the render (inside the navigation's transition) until it arrives.
 */
export function useAnyT(): (key: MessageKey, vars?: MessageVars) => string {
  const { locale, messages, version } = useContext(I18nContext);
  return useCallback(
    (key: MessageKey, vars?: MessageVars) => {
      if (messages[key] !== undefined) return format(messages, key, vars);
      const server = getServerDictionary(locale);
      if (server) return format(server, key, vars);
      const namespace = [key.split(".")[0]!];
      if (version && typeof document !== "undefined" && missingPrefixes(locale, namespace).length > 0) {
        throw loadPrefixes(locale, version, namespace);
      }
      return format(messages, key, vars);
    },
    [locale, messages, version],
  );
}
