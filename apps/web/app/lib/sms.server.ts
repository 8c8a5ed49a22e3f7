/** The process's SMS sender: the Twilio-style HTTP API when SMS_API_URL is set, the development outbox otherwise, none in production without it. */
import { createSmsSenderFromEnv, type SmsSender } from "@latchkey/api";
import { getEnv } from "./env.server";

const globalForSms = globalThis as typeof globalThis & { __latchkeySms?: SmsSender | null };

export function getSmsSender(): SmsSender | null {
  if (globalForSms.__latchkeySms === undefined) {
    const env = getEnv();
    globalForSms.__latchkeySms = createSmsSenderFromEnv(env);
  }
  return globalForSms.__latchkeySms;
}
