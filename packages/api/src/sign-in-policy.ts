/**
 * What the instance settings allow at sign-in: which methods are on (`signInMethods`) and which addresses may sign in
 * (`allowlist`, `blocklist`). Read from the database on every call, so an admin's change applies to the next request.
 *
 * Sign-in methods are the ways to *start* a sign-in: password, emailed code, emailed link, passkey, social/SSO. A
 * passkey used as the second step (`signIn.secondFactor`) and password reset are not sign-in methods and stay on:
 * the second step follows a first factor the settings allowed, and a reset ends in no session (ADR 015-settings).
 *
 * The address check answers from the address alone, before any account is looked up, so the answer (and the time
 * it takes) is the same whether or not the address has an account. `completeSignIn` checks once more, against the
 * account's primary address, for the methods that don't start from a typed address (passkey, social/SSO).
 */
import { and, eq } from "drizzle-orm";
import { emailAddresses, type Database } from "@latchkey/db";
import type { Context } from "./context.ts";
import { ApiError } from "./errors.ts";
import { recordAuditEvent } from "./audit.ts";
import { checkAddressLists, getInstanceSettings, type InstanceSettings } from "./instance-settings.ts";
import type { SignInMethod } from "./sign-in.ts";

export type SignInMethodSetting = keyof InstanceSettings["signInMethods"];

/** The settings switch behind each sign-in method (`SignInMethod` is also what the audit log records). */
export const signInMethodSetting: Record<SignInMethod, SignInMethodSetting> = {
  password: "password",
  email_code: "emailCode",
  magic_link: "emailLink",
  passkey: "passkey",
  oauth: "oauth",
};

export function signInMethodDisabledError(): ApiError {
  return new ApiError({ code: "FORBIDDEN", reason: "SIGN_IN_METHOD_DISABLED", message: "This sign-in method is turned off. Choose another way to sign in." });
}

export function signInAddressNotAllowedError(): ApiError {
  return new ApiError({ code: "FORBIDDEN", reason: "SIGN_IN_ADDRESS_NOT_ALLOWED", message: "This email address can't be used to sign in here." });
}

async function recordRefusal(ctx: Context, method: SignInMethod, reason: string, userId: string | null = null): Promise<void> {
  await recordAuditEvent(ctx, { action: "session.sign_in", outcome: "failure", actorUserId: userId, details: { method, reason } });
}

/** Refuses (FORBIDDEN, `SIGN_IN_METHOD_DISABLED`) when the settings turned `method` off; returns the settings read. */
export async function requireSignInMethod(ctx: Context, method: SignInMethod, settings?: InstanceSettings): Promise<InstanceSettings> {
  const current = settings ?? (await getInstanceSettings(ctx.db));
  if (!current.signInMethods[signInMethodSetting[method]]) {
    await recordRefusal(ctx, method, "method_disabled");
    throw signInMethodDisabledError();
  }
  return current;
}

/**
 * Refuses (FORBIDDEN, `SIGN_IN_ADDRESS_NOT_ALLOWED`) a typed address the allow- or blocklist keeps out. Call it
 * before looking the address up: the answer depends on the address and the settings only, never on an account.
 */
export async function requireAllowedSignInAddress(ctx: Context, method: SignInMethod, email: string, settings?: InstanceSettings): Promise<void> {
  const current = settings ?? (await getInstanceSettings(ctx.db));
  const verdict = checkAddressLists(current, email);
  if (verdict !== "allowed") {
    await recordRefusal(ctx, method, verdict);
    throw signInAddressNotAllowedError();
  }
}

/**
 * The last check before a session or a second step, for every method: the method is still on, and the account's
 * primary address passes the lists. The caller has proven the first factor, so a specific answer reveals nothing.
 */
export async function requireSignInAllowedForUser(ctx: Context, db: Database, userId: string, method: SignInMethod): Promise<void> {
  const settings = await getInstanceSettings(db);
  if (!settings.signInMethods[signInMethodSetting[method]]) {
    await recordRefusal(ctx, method, "method_disabled", userId);
    throw signInMethodDisabledError();
  }
  if (settings.allowlist.length === 0 && settings.blocklist.length === 0) return;
  const [primary] = await db
    .select({ email: emailAddresses.email })
    .from(emailAddresses)
    .where(and(eq(emailAddresses.userId, userId), eq(emailAddresses.isPrimary, true)))
    .limit(1);
  const verdict = primary ? checkAddressLists(settings, primary.email) : "allowed";
  if (verdict !== "allowed") {
    await recordRefusal(ctx, method, verdict, userId);
    throw signInAddressNotAllowedError();
  }
}
