/**
 * A sign-up completed the way a person completes it: `auth.signUp`, then the code from the email it sent, through
 * `signUp.verify`. For the seed script, the benchmark and tests, which need signed-in users but no inbox.
 */
import type { Database } from "@latchkey/db";
import { sessionCookieName } from "@latchkey/auth";
import { createCaller } from "../src/root.ts";
import { createInnerContext, type InnerContextOptions } from "../src/context.ts";
import { createMemoryMailer } from "../src/mail/index.ts";
import { isTestModeRecipient, TEST_MODE_CODE } from "../src/test-mode.ts";

export interface ConfirmedSignUpInput {
  email: string;
  password: string;
  firstName?: string;
  lastName?: string;
}

export interface ConfirmedSignUp {
  userId: string;
  sessionId: string;
  /** The session token the verify step set as a cookie. */
  token: string;
}

export async function signUpConfirmed(
  db: Database,
  input: ConfirmedSignUpInput,
  options: Omit<InnerContextOptions, "db" | "mailer" | "resHeaders" | "sessionToken"> = {},
): Promise<ConfirmedSignUp> {
  const { mailer, sent } = createMemoryMailer();
  const call = (resHeaders = new Headers()) => createCaller(createInnerContext({ ...options, db, mailer, resHeaders }));
  const started = await call().auth.signUp(input);
  if (started.status !== "needs_verification") throw new Error("sign-up did not ask for a code: is email verification turned off?");
  const mail = sent.find((m) => m.kind === "verification-code" && m.to === input.email);
  // Test mode sends nothing to a `+latchkey_test` address: its code is 424242.
  const code = mail?.kind === "verification-code" ? mail.values.code : isTestModeRecipient(input.email) ? TEST_MODE_CODE : null;
  if (!code) throw new Error(`sign-up sent no verification code to ${input.email} (does the address have an account?)`);
  const resHeaders = new Headers();
  const done = await call(resHeaders).signUp.verify({ signUpId: started.signUpId, code });
  const name = sessionCookieName(options.appUrl ?? "http://localhost:3000");
  const token = resHeaders
    .getSetCookie()
    .map((cookie) => (cookie.startsWith(`${name}=`) ? decodeURIComponent(cookie.slice(name.length + 1).split(";", 1)[0]!) : ""))
    .find(Boolean);
  if (!token) throw new Error("verifying the sign-up set no session cookie");
  return { userId: done.userId, sessionId: done.sessionId, token };
}
