/**
 * Test mode, like Clerk's: email addresses with a `+latchkey_test` subaddress (`jane+latchkey_test@example.com`)
 * and the fictional phone numbers +1 (XXX) 555-0100 to 555-0199 receive no message, and every code sent to them is
 * 424242 — so the app's own end-to-end tests and demos sign up and in without an inbox or a phone.
 *
 * On in development and test (any NODE_ENV but production); in production only when the instance setting
 * `testModeInProduction` is on, which the admin console's overview then warns about: anyone who knows the rule could
 * create accounts for such addresses. The decision is made where codes are created (`testModeCode`) and where
 * messages leave (`withTestModeMailer`, `withTestModeSms`); checking a code is unchanged, since 424242 is stored as
 * the code (with its expiry and attempt limit).
 */
import type { Database } from "@latchkey/db";
import { getInstanceSettings } from "./instance-settings.ts";
import type { Mailer } from "./mail/index.ts";
import type { SmsSender } from "./sms/index.ts";

export const TEST_MODE_CODE = "424242";

const TEST_SUBADDRESS = /^[^@\s]*\+latchkey_test@[^@\s]+$/i;
// E.164 as stored (+1, a 3-digit area code, then 555-0100 … 555-0199), the range reserved for fiction.
const TEST_PHONE = /^\+1[2-9]\d{2}55501\d{2}$/;

/** An address or number that test mode reserves: `…+latchkey_test@…` or +1 (XXX) 555-0100 to 0199. */
export function isTestModeRecipient(recipient: string): boolean {
  const value = recipient.trim();
  return TEST_SUBADDRESS.test(value) || TEST_PHONE.test(value.replace(/[\s().-]/g, ""));
}

/** Whether test mode applies on this instance now: outside production always, in production only by the setting. */
export async function isTestModeOn(db: Database, nodeEnv = process.env.NODE_ENV): Promise<boolean> {
  if (nodeEnv !== "production") return true;
  return (await getInstanceSettings(db)).testModeInProduction;
}

/** True when a message to `recipient` is held back and its code is 424242. Reads the settings only for test recipients. */
export async function isTestModeFor(db: Database, recipient: string): Promise<boolean> {
  return isTestModeRecipient(recipient) && (await isTestModeOn(db));
}

/** What to spread into `createVerification` for a code sent to `recipient`: the fixed code under test mode. */
export async function testModeCode(db: Database, recipient: string): Promise<{ fixedCode?: string }> {
  return (await isTestModeFor(db, recipient)) ? { fixedCode: TEST_MODE_CODE } : {};
}

/** The mailer, except that nothing is sent to a test-mode address while test mode is on. */
export function withTestModeMailer(mailer: Mailer, db: Database): Mailer {
  const wrapped = {} as Record<keyof Mailer, (input: { to: string }) => Promise<void>>;
  for (const name of Object.keys(mailer) as (keyof Mailer)[]) {
    const send = mailer[name] as (input: { to: string }) => Promise<void>;
    wrapped[name] = async (input) => {
      if (await isTestModeFor(db, input.to)) return;
      await send.call(mailer, input);
    };
  }
  return wrapped as unknown as Mailer;
}

/** The SMS sender, except that nothing is texted to a test-mode number while test mode is on. */
export function withTestModeSms(sms: SmsSender, db: Database): SmsSender {
  return {
    async send(message) {
      if (await isTestModeFor(db, message.to)) return;
      await sms.send(message);
    },
  };
}
