/**
 * Text messages: one small interface, `SmsSender`, with three implementations — an HTTP transport for a
 * Twilio-style API (production), the development outbox (kept in memory, shown on /dev/outbox) and a memory sender
 * for tests. A message body holds a code, so nothing here ever logs it; a log line names only the kind of failure.
 */
import { randomUUID } from "node:crypto";

export interface SmsMessage {
  /** An E.164 number, e.g. `+48601234567`. */
  to: string;
  body: string;
}

export interface SmsSender {
  /** Resolves once the carrier accepted the message; rejects when it did not (a non-2xx answer, a timeout). */
  send(message: SmsMessage): Promise<void>;
}

/** Why a send failed, without the body, the number or the credentials. */
export class SmsDeliveryError extends Error {
  override name = "SmsDeliveryError";
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
  }
}

export interface HttpSmsOptions {
  /** The API base, e.g. `https://api.twilio.com`; the path `/2010-04-01/Accounts/{sid}/Messages.json` is added. */
  apiUrl: string;
  accountSid: string;
  authToken: string;
  /** The sending number or messaging service name. */
  from: string;
  /** 10 s by default. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** POSTs `To`, `From`, `Body` as a form with HTTP basic auth (`SID:TOKEN`); anything but a 2xx is a failure. */
export function createHttpSmsSender(options: HttpSmsOptions): SmsSender {
  const base = options.apiUrl.replace(/\/+$/, "");
  const url = `${base}/2010-04-01/Accounts/${encodeURIComponent(options.accountSid)}/Messages.json`;
  const authorization = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString("base64")}`;
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;
  return {
    async send(message) {
      let response: Response;
      try {
        response = await doFetch(url, {
          method: "POST",
          headers: { authorization, "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
          body: new URLSearchParams({ To: message.to, From: options.from, Body: message.body }).toString(),
          signal: AbortSignal.timeout(timeoutMs),
          redirect: "error",
        });
      } catch (error) {
        const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
        throw new SmsDeliveryError(timedOut ? `SMS API did not answer within ${timeoutMs} ms` : "SMS API could not be reached", null);
      }
      // The body may echo the message; it is read only to free the connection.
      await response.body?.cancel().catch(() => undefined);
      if (!response.ok) throw new SmsDeliveryError(`SMS API answered ${response.status}`, response.status);
    },
  };
}

/** What the development outbox keeps. */
export type OutboxSms = SmsMessage & { id: string; sentAt: Date };

/** Kept like the email outbox: the newest 50, on `globalThis` so a hot reload keeps them. */
export const SMS_OUTBOX_LIMIT = 50;
const storeKey = Symbol.for("latchkey.sms.dev-outbox");

function getStore(): OutboxSms[] {
  const global = globalThis as { [storeKey]?: OutboxSms[] };
  global[storeKey] ??= [];
  return global[storeKey];
}

/** The kept text messages, newest first. */
export function listSmsOutbox(): OutboxSms[] {
  return getStore().slice().reverse();
}

export function clearSmsOutbox(): void {
  getStore().length = 0;
}

export function createDevOutboxSmsSender(options: { now?: () => Date } = {}): SmsSender {
  const now = options.now ?? (() => new Date());
  return {
    async send(message) {
      const store = getStore();
      store.push({ ...message, id: randomUUID(), sentAt: now() });
      if (store.length > SMS_OUTBOX_LIMIT) store.splice(0, store.length - SMS_OUTBOX_LIMIT);
      console.info(`[sms] to=${message.to.replace(/[^+\d]/g, "")} (development outbox)`);
    },
  };
}

/** For tests: keeps every message in `sent`. */
export function createMemorySmsSender(): { sender: SmsSender; sent: SmsMessage[] } {
  const sent: SmsMessage[] = [];
  return { sent, sender: { send: async (message) => void sent.push(message) } };
}

export interface SmsEnv {
  NODE_ENV?: string | undefined;
  SMS_API_URL?: string | undefined;
  SMS_ACCOUNT_SID?: string | undefined;
  SMS_AUTH_TOKEN?: string | undefined;
  SMS_FROM?: string | undefined;
}

const read = (value: string | undefined) => (value?.trim() ? value.trim() : undefined);

/**
 * The HTTP transport when SMS_API_URL is set (then the SID, token and sender are required), the development outbox
 * otherwise — except in production, where no SMS configuration means no sender at all (null): phone numbers and SMS
 * codes are then refused rather than silently kept in memory.
 */
export function createSmsSenderFromEnv(env: SmsEnv): SmsSender | null {
  const apiUrl = read(env.SMS_API_URL);
  if (apiUrl) {
    const accountSid = read(env.SMS_ACCOUNT_SID);
    const authToken = read(env.SMS_AUTH_TOKEN);
    const from = read(env.SMS_FROM);
    if (!accountSid || !authToken || !from) throw new Error("SMS_API_URL needs SMS_ACCOUNT_SID, SMS_AUTH_TOKEN and SMS_FROM too.");
    return createHttpSmsSender({ apiUrl, accountSid, authToken, from });
  }
  return read(env.NODE_ENV) === "production" ? null : createDevOutboxSmsSender();
}
