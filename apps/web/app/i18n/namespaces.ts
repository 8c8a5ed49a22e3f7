/**
 * Which strings a page gets (ADR 029). A route module declares the key prefixes it and the components it renders use:
 *
 *   export const handle = { i18n: ["signIn", "passwordless", "form"] } satisfies I18nHandle;
 *
 * A prefix is a key's first segments at a dot (`"user"`, `"user.manageAccount"`), typed against the dictionary, so a
 * misspelled one fails `tsc`. A page gets the union of the prefixes of its matched routes (the root's included).
 * `route-i18n.test.ts` fails when a route uses a key none of its prefixes covers.
 */
import type { Dictionary, MessageKey } from "./dictionary";

type Prefixes<K extends string> = K extends `${infer Head}.${infer Rest}` ? Head | `${Head}.${Prefixes<Rest>}` : K;

/** Every dot-prefix of every key, whole keys included. */
export type Namespace = Prefixes<MessageKey>;

export interface I18nHandle {
  i18n: readonly Namespace[];
}

interface MatchLike {
  handle?: unknown;
}

/** The prefixes a set of matched routes declares, without the ones another covers, sorted. */
export function namespacesOf(matches: readonly MatchLike[]): string[] {
  const all = new Set<string>();
  for (const match of matches) {
    const list = (match.handle as Partial<I18nHandle> | undefined)?.i18n;
    if (Array.isArray(list)) for (const prefix of list) all.add(prefix);
  }
  return [...all].filter((prefix) => ![...all].some((other) => other !== prefix && isUnder(prefix, other))).sort();
}

/** True when `key` is `prefix` or starts with `prefix.`. */
export function isUnder(key: string, prefix: string): boolean {
  return key === prefix || (key.startsWith(prefix) && key.charAt(prefix.length) === ".");
}

/** The messages whose keys fall under one of `prefixes`. */
export function selectMessages(dictionary: Partial<Dictionary>, prefixes: readonly string[]): Partial<Dictionary> {
  const selected: Partial<Record<MessageKey, string>> = {};
  for (const key of Object.keys(dictionary) as MessageKey[]) {
    if (prefixes.some((prefix) => isUnder(key, prefix))) selected[key] = dictionary[key];
  }
  return selected;
}
