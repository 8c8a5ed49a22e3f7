import type { MessageKey, MessageVars } from "~/i18n/dictionary";

/** A message for a form: a dictionary key (with its values), or the API's own sentence when there is no key for it. */
export type FormMessage = { key: MessageKey; vars?: MessageVars } | { text: string };

export interface FormErrors {
  /** Field name → message. */
  fieldErrors: Record<string, FormMessage>;
  formError: FormMessage | null;
}
