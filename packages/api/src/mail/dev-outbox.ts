/**
 * The development outbox: without SMTP_URL, emails land here instead of being sent, and /dev/outbox shows them. The
 * store lives on `globalThis`, so a Vite hot reload of this module keeps it. It holds codes and links in clear, which
 * is why the page answers 404 in production and why the log line names only the address, the kind and the subject.
 */
import { randomUUID } from "node:crypto";
import type { MailTransport, OutgoingMail } from "./outgoing-mail.ts";

/** How many messages the outbox keeps; older ones are dropped. */
export const OUTBOX_LIMIT = 50;

export type OutboxMessage = OutgoingMail & { id: string; sentAt: Date };

const storeKey = Symbol.for("latchkey.mail.dev-outbox");

function getStore(): OutboxMessage[] {
  const global = globalThis as { [storeKey]?: OutboxMessage[] };
  global[storeKey] ??= [];
  return global[storeKey];
}

/** The kept messages, newest first. */
export function listOutbox(): OutboxMessage[] {
  return getStore().slice().reverse();
}

export function clearOutbox(): void {
  getStore().length = 0;
}

/** The one line logged per message; a subject never holds a code or a link (see messages.ts), the body is not read. */
export function describeMail(message: Pick<OutgoingMail, "to" | "kind" | "subject">): string {
  // eslint-disable-next-line no-control-regex
  const to = message.to.replace(/[\u0000-\u001f\u007f\s]+/g, "");
  return `[mail] to=${to} kind=${message.kind} subject=${JSON.stringify(message.subject)}`;
}

export interface DevOutboxOptions {
  /** The clock; tests pass a controllable one. */
  now?: () => Date;
}

export function createDevOutboxTransport(options: DevOutboxOptions = {}): MailTransport {
  const now = options.now ?? (() => new Date());
  return {
    async send(message) {
      const store = getStore();
      store.push({ ...message, id: randomUUID(), sentAt: now() });
      if (store.length > OUTBOX_LIMIT) store.splice(0, store.length - OUTBOX_LIMIT);
      console.info(describeMail(message));
    },
  };
}
