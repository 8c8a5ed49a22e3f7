/**
 * The strings the browser has, per locale (ADR 029). The first page brings its own in a JSON script (`SEED_ID`, read
 * once, before hydration); a client navigation to a page that needs more prefixes fetches only those, from
 * `/i18n/:locale/:prefix?v=…`, which the browser caches for good. Nothing here runs on the server.
 */
import type { Dictionary } from "./dictionary";
import { isUnder } from "./namespaces";
import type { Locale } from "./locales";

export const SEED_ID = "lk-i18n";

export interface Seed {
  locale: Locale;
  prefixes: string[];
  messages: Partial<Dictionary>;
}

interface Store {
  prefixes: Set<string>;
  /** Replaced, not mutated, on every load: components memoise on its identity. */
  messages: Partial<Dictionary>;
}

const stores = new Map<Locale, Store>();
const pending = new Map<string, Promise<void>>();
let seedText: string | null | undefined;

/** The JSON script the server rendered, as written (the root renders it again, identically, when hydrating). */
export function readSeedText(): string | null {
  if (seedText === undefined) {
    seedText = typeof document === "undefined" ? null : (document.getElementById(SEED_ID)?.textContent ?? null);
    if (seedText) {
      const seed = JSON.parse(seedText) as Seed;
      stores.set(seed.locale, { prefixes: new Set(seed.prefixes), messages: seed.messages });
    }
  }
  return seedText;
}

function storeOf(locale: Locale): Store {
  readSeedText();
  let store = stores.get(locale);
  if (!store) stores.set(locale, (store = { prefixes: new Set(), messages: {} }));
  return store;
}

/** The prefixes of `wanted` the browser has no strings for yet in `locale`. */
export function missingPrefixes(locale: Locale, wanted: readonly string[]): string[] {
  const { prefixes } = storeOf(locale);
  return wanted.filter((prefix) => ![...prefixes].some((have) => isUnder(prefix, have)));
}

export function getClientMessages(locale: Locale): Partial<Dictionary> {
  return storeOf(locale).messages;
}

/**
 * Fetches the missing prefixes and merges them in; the promise is shared by every caller asking for the same ones, so
 * a component can throw it (React suspends the navigation until the strings are here, keeping the old page shown).
 * A failed fetch counts as loaded: the page then shows keys instead of asking again on every render.
 */
export function loadPrefixes(locale: Locale, version: string, prefixes: readonly string[]): Promise<void> {
  const key = `${locale}|${prefixes.join(",")}`;
  let promise = pending.get(key);
  if (!promise) {
    promise = Promise.all(prefixes.map((prefix) => fetchPrefix(locale, version, prefix)))
      .catch(() => [] as Partial<Dictionary>[])
      .then((parts) => {
        const store = storeOf(locale);
        store.messages = Object.assign({}, store.messages, ...parts);
        for (const prefix of prefixes) store.prefixes.add(prefix);
      })
      .finally(() => pending.delete(key));
    pending.set(key, promise);
  }
  return promise;
}

async function fetchPrefix(locale: Locale, version: string, prefix: string): Promise<Partial<Dictionary>> {
  const response = await fetch(`/i18n/${locale}/${encodeURIComponent(prefix)}?v=${encodeURIComponent(version)}`);
  if (!response.ok) throw new Error(`i18n ${prefix}: ${response.status}`);
  return (await response.json()) as Partial<Dictionary>;
}
