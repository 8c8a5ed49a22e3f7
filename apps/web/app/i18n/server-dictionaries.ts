/**
 * The whole dictionaries, on the server only. `entry.server.tsx` hands them over at start-up, so components and `meta`
 * functions can select a page's strings while rendering on the server, and the client bundle never imports them: in
 * the browser nothing is provided and the strings come from the page (`client-messages.ts`).
 */
import type { Dictionary } from "./dictionary";
import type { Locale } from "./locales";

let lookup: ((locale: Locale) => Dictionary) | null = null;

export function provideServerDictionaries(getDictionary: (locale: Locale) => Dictionary): void {
  lookup = getDictionary;
}

/** The locale's whole dictionary when rendering on the server; null in the browser. */
export function getServerDictionary(locale: Locale): Dictionary | null {
  return lookup?.(locale) ?? null;
}
