import type { enUS } from "./en-US";

/** Every message key, taken from the en-US dictionary. */
export type MessageKey = keyof typeof enUS;

/** A complete translation: exactly the en-US keys, any string values. */
export type Dictionary = { readonly [K in MessageKey]: string };

/** Values for `{name}` placeholders. */
export type MessageVars = Readonly<Record<string, string | number>>;

/** Looks up `key` and fills `{name}` placeholders; unknown placeholders are left as written. */
export function format(dictionary: Partial<Dictionary>, key: MessageKey, vars?: MessageVars): string {
  const message = dictionary[key] ?? key;
  if (!vars) return message;
  return message.replace(/\{(\w+)\}/g, (placeholder, name: string) => {
    const value = vars[name];
    return value === undefined ? placeholder : String(value);
  });
}
