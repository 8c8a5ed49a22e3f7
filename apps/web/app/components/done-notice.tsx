import type { MessageKey } from "~/i18n/dictionary";
import { useT } from "~/i18n/react";

/** The status line after a change ("Passkey removed."), announced politely to screen readers; nothing when null. */
export function DoneNotice({ message }: { message: MessageKey | null }) {
  const t = useT();
  if (!message) return null;
  return (
    <p role="status" className="rounded-lk border border-border p-3">
      {t(message)}
    </p>
  );
}
