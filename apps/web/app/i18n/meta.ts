import { getClientMessages } from "./client-messages";
import { format, type MessageKey, type MessageVars } from "./dictionary";
import { fallbackMessages } from "./fallback";
import type { Locale } from "./locales";
import { namespacesOf, selectMessages } from "./namespaces";
import { getServerDictionary } from "./server-dictionaries";

interface MatchLike {
  id: string;
  data?: unknown;
  handle?: unknown;
}

/**
 * A translator for `meta` functions, which cannot use hooks: the page's strings (its routes' `handle.i18n`) in the
 * locale the root loader picked — selected from the whole dictionary on the server, the fetched ones in the browser.
 * `export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("signIn.title") }];`
 */
export function metaT(matches: readonly MatchLike[]): (key: MessageKey, vars?: MessageVars) => string {
  const locale = (matches.find((match) => match.id === "root")?.data as { locale?: Locale } | undefined)?.locale;
  const server = locale ? getServerDictionary(locale) : null;
  const messages = !locale ? fallbackMessages : server ? selectMessages(server, namespacesOf(matches)) : getClientMessages(locale);
  return (key, vars) => format(messages, key, vars);
}
