import { format, type Dictionary, type MessageKey, type MessageVars } from "./dictionary";
import { fallbackMessages } from "./fallback";

interface MatchLike {
  id: string;
  data?: unknown;
}

/**
 * A translator for `meta` functions, which cannot use hooks: it reads the dictionary the root loader sent.
 * `export const meta: MetaFunction = ({ matches }) => [{ title: metaT(matches)("signIn.title") }];`
 */
export function metaT(matches: readonly MatchLike[]): (key: MessageKey, vars?: MessageVars) => string {
  const root = matches.find((match) => match.id === "root")?.data as { messages?: Dictionary } | undefined;
  const messages = root?.messages ?? fallbackMessages;
  return (key, vars) => format(messages, key, vars);
}
