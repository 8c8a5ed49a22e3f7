import { createContext, useCallback, useContext, useMemo, type ReactNode } from "react";
import { format, type Dictionary, type MessageKey, type MessageVars } from "./dictionary";
import { fallbackMessages } from "./fallback";
import type { Locale } from "./locales";

interface I18nValue {
  locale: Locale;
  messages: Partial<Dictionary>;
}

// Used when nothing above provides messages (the root error boundary after the root loader failed).
const fallback: I18nValue = { locale: "en-US", messages: fallbackMessages };

const I18nContext = createContext<I18nValue>(fallback);

/** The root renders this with the locale and dictionary its loader picked, so only one dictionary reaches the browser. */
export function I18nProvider({ locale, messages, children }: I18nValue & { children: ReactNode }) {
  const value = useMemo(() => ({ locale, messages }), [locale, messages]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useLocale(): Locale {
  return useContext(I18nContext).locale;
}

/** `const t = useT(); t("home.welcome", { name })` */
export function useT(): (key: MessageKey, vars?: MessageVars) => string {
  const { messages } = useContext(I18nContext);
  return useCallback((key: MessageKey, vars?: MessageVars) => format(messages, key, vars), [messages]);
}
