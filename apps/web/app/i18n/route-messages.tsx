/**
 * The strings of the page being shown (ADR 029): the root renders this around the page. On the server it selects
 * the matched routes' prefixes (`handle.i18n`) from the whole dictionary and writes them into the page as a JSON
 * script, which the browser reads before hydrating. In the browser, a navigation to routes that need prefixes it lacks
 * suspends here while `client-messages.ts` fetches just those; the navigation is a transition, so the old page stays
 * until they arrive.
 */
import { useMatches } from "@remix-run/react";
import type { ReactNode } from "react";
import { getClientMessages, loadPrefixes, missingPrefixes, readSeedText, SEED_ID, type Seed } from "./client-messages";
import type { Locale } from "./locales";
import { namespacesOf, selectMessages } from "./namespaces";
import { I18nProvider } from "./react";
import { getServerDictionary } from "./server-dictionaries";

export function RouteMessages({ locale, version, nonce, children }: { locale: Locale; version: string; nonce?: string; children: ReactNode }) {
  const prefixes = namespacesOf(useMatches());
  const server = getServerDictionary(locale);
  if (server) {
    const seed: Seed = { locale, prefixes, messages: selectMessages(server, prefixes) };
    return (
      <I18nProvider locale={locale} messages={seed.messages} version={version}>
        {children}
        <script type="application/json" id={SEED_ID} nonce={nonce} dangerouslySetInnerHTML={{ __html: serializeSeed(seed) }} />
      </I18nProvider>
    );
  }
  const missing = missingPrefixes(locale, prefixes);
  if (missing.length > 0) throw loadPrefixes(locale, version, missing);
  const seedText = readSeedText();
  return (
    <I18nProvider locale={locale} messages={getClientMessages(locale)} version={version}>
      {children}
      {/* The same element the server wrote, unchanged, so hydration matches. */}
      {seedText === null ? null : <script type="application/json" id={SEED_ID} nonce={nonce} dangerouslySetInnerHTML={{ __html: seedText }} suppressHydrationWarning />}
    </I18nProvider>
  );
}

/** JSON safe inside a script element: no `<` can close it. */
export function serializeSeed(seed: Seed): string {
  return JSON.stringify(seed).replace(/</g, "\\u003c");
}
