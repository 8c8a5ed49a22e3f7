import { useAnyT } from "~/i18n/react";
import type { FormMessage } from "~/lib/form-message";

/** Renders a form message that is either a dictionary key or the API's own sentence. */
export function useFormMessage(): (message: FormMessage | null | undefined) => string | null {
  // Any key: the API reason decides which (see useAnyT).
  const t = useAnyT();
  return (message) => {
    if (!message) return null;
    return "key" in message ? t(message.key, message.vars) : message.text;
  };
}
