import type { MessageKey } from "~/i18n/dictionary";

/** A message for a form: a dictionary key, or the API's own sentence when there is no key for it. */
export type FormMessage = { key: MessageKey } | { text: string };

export interface FormErrors {
  /** Field name → message. */
  fieldErrors: Record<string, FormMessage>;
  formError: FormMessage | null;
}
