/**
 * Step-up reverification with every factor the user has (Clerk's reverification): the password, an authenticator
 * code, a backup code, a passkey, a texted code, or a code emailed to the primary address. Users who signed up with a
 * provider, a passkey or emailed codes have no password, and still need a way to step up (ADR 027).
 *
 * `auth.reverify` calls `checkReverificationFactor` and owns the answers (audit, failure count, rate limit); this file
 * only says which factors exist and checks one. Every check uses its factor once, as the second step of sign-in does:
 * the TOTP step above the last used one, a backup code while unused, a code row while live and under 5 attempts, a
 * passkey challenge once.
 */
import { and, eq, isNotNull } from "drizzle-orm";
import { z } from "zod";
import { emailAddresses, passwordCredentials, users } from "@latchkey/db";
import { createVerification, defineRateLimit, HOUR, MINUTE, verifyCode, verifyPasswordOrDummy, type VerificationResult } from "@latchkey/auth";
import type { Context } from "./context.ts";
import { ApiError } from "./errors.ts";
import { enforceRateLimit } from "./rate-limits.ts";
import { recordAuditEvent } from "./audit.ts";
import { secondFactorStrategies } from "./sign-in.ts";
import { createPasskeyAuthenticationOptions } from "./passkeys.ts";
import { passwordSchema } from "./validation.ts";
import { secondFactorChecks } from "./router/mfa.ts";
import { sendSmsSecondFactorCode } from "./router/phone.ts";

export const reverificationStrategies = ["password", "totp", "passkey", "phone_code", "email_code", "backup_code"] as const;
export type ReverificationStrategy = (typeof reverificationStrategies)[number];

const EMAIL_CODE_TTL_MS = 10 * MINUTE;
/** One emailed code a minute and five an hour per user: each one is an email. */
const emailCodeCooldown = defineRateLimit("reverify-email:cooldown", 1, MINUTE);
const emailCodesPerUser = defineRateLimit("reverify-email:user", 5, HOUR);

const codeInput = z.string().trim().min(1, "Enter the code.").max(32, "That code is too long.");

/**
 * What `auth.reverify` accepts. `{ password }` alone (the original shape) still means the password.
 * The other strategies carry a code, or (passkey) the browser's answer to `auth.reverificationPasskeyOptions`.
 */
export const reverifyInputSchema = z.preprocess(
  (value) => (value !== null && typeof value === "object" && !Array.isArray(value) && !Object.hasOwn(value, "strategy") ? { ...value, strategy: "password" } : value),
  z.discriminatedUnion(
    "strategy",
    [
      z.strictObject({ strategy: z.literal("password"), password: passwordSchema }),
      z.strictObject({ strategy: z.literal("totp"), code: codeInput }),
      z.strictObject({ strategy: z.literal("backup_code"), code: codeInput }),
      z.strictObject({ strategy: z.literal("phone_code"), code: codeInput }),
      z.strictObject({ strategy: z.literal("email_code"), code: codeInput }),
      z.strictObject({ strategy: z.literal("passkey"), challengeId: z.string().min(1).max(64), response: z.record(z.string(), z.unknown()) }),
    ],
    "Choose a way to confirm it's you.",
  ),
);
export type ReverifyInput = z.infer<typeof reverifyInputSchema>;

/** The user's primary address when it is verified: the only place a step-up code may go. */
async function verifiedPrimaryEmail(ctx: Context, userId: string): Promise<string | null> {
  const [row] = await ctx.db
    .select({ email: emailAddresses.email })
    .from(emailAddresses)
    .where(and(eq(emailAddresses.userId, userId), eq(emailAddresses.isPrimary, true), isNotNull(emailAddresses.verifiedAt)));
  return row?.email ?? null;
}

/** Every way this user can step up, in the order the page offers them, with where codes would go. */
export async function listReverificationFactors(ctx: Context, userId: string) {
  const [[credential], secondFactors, email] = await Promise.all([
    ctx.db.select({ userId: passwordCredentials.userId }).from(passwordCredentials).where(eq(passwordCredentials.userId, userId)),
    secondFactorStrategies(ctx.db, userId),
    verifiedPrimaryEmail(ctx, userId),
  ]);
  const has: Record<ReverificationStrategy, boolean> = {
    password: credential !== undefined,
    totp: secondFactors.includes("totp"),
    passkey: secondFactors.includes("passkey"),
    phone_code: secondFactors.includes("phone_code"),
    email_code: email !== null,
    backup_code: secondFactors.includes("backup_code"),
  };
  return { strategies: reverificationStrategies.filter((s) => has[s]), email };
}

/** Emails a 6-digit step-up code (10 minutes, 5 attempts; a newer one kills the older) to the verified primary address. */
export async function sendReverificationEmailCode(ctx: Context, userId: string, sessionId: string): Promise<{ email: string; expiresAt: Date }> {
  const email = await verifiedPrimaryEmail(ctx, userId);
  if (!email) throw new ApiError({ code: "NOT_FOUND", reason: "NOT_FOUND", message: "Your account has no confirmed email address to send a code to." });
  await enforceRateLimit(ctx, emailCodeCooldown, `user:${userId}`);
  await enforceRateLimit(ctx, emailCodesPerUser, `user:${userId}`);
  const created = await createVerification(ctx.db, { purpose: "reverification_email", target: userId, userId, ttlMs: EMAIL_CODE_TTL_MS, code: true, now: ctx.now() });
  const [owner] = await ctx.db.select({ locale: users.locale }).from(users).where(eq(users.id, userId));
  await ctx.mailer.sendReverificationCode({ to: email, locale: owner?.locale ?? null, code: created.code! }).catch(() => {
    throw new ApiError({ code: "SERVICE_UNAVAILABLE", reason: "SERVICE_UNAVAILABLE", message: "The email could not be sent. Try again in a moment." });
  });
  await recordAuditEvent(ctx, { action: "session.reverification_code_sent", outcome: "success", actorUserId: userId, actorSessionId: sessionId, details: { channel: "email" } });
  return { email, expiresAt: created.expiresAt };
}

/** Texts a step-up code to the user's MFA number (the same code, limits and cooldown as the second step of sign-in). */
export async function sendReverificationSmsCode(ctx: Context, userId: string): Promise<{ phone: string; expiresAt: Date }> {
  const sent = await sendSmsSecondFactorCode(ctx, userId);
  return { phone: sent.phone, expiresAt: sent.expiresAt };
}

export function createReverificationPasskeyOptions(ctx: Context, userId: string) {
  return createPasskeyAuthenticationOptions(ctx, { userId, purpose: "second_factor" });
}

/** A wrong emailed code as its own failure (expired, too many attempts), so the page can say which. */
export type FactorCheck = { ok: true } | { ok: false; hasFactor: boolean; codeFailure?: Exclude<VerificationResult, { ok: true }>["reason"] };

/** Checks one answer, using it up when right. A strategy the user doesn't have is simply wrong. */
export async function checkReverificationFactor(ctx: Context, userId: string, input: ReverifyInput): Promise<FactorCheck> {
  switch (input.strategy) {
    case "password": {
      const [credential] = await ctx.db.select({ hash: passwordCredentials.hash }).from(passwordCredentials).where(eq(passwordCredentials.userId, userId));
      // Without a password on the account, still one argon2 verify: the time taken says nothing.
      const ok = await verifyPasswordOrDummy(credential?.hash ?? null, input.password);
      return ok ? { ok } : { ok, hasFactor: credential !== undefined };
    }
    case "email_code": {
      const code = input.code.replace(/[\s-]/g, "");
      const result = await verifyCode(ctx.db, { purpose: "reverification_email", target: userId, code, now: ctx.now() });
      if (result.ok && result.verification.userId === userId) return { ok: true };
      return { ok: false, hasFactor: true, codeFailure: result.ok ? "invalid" : result.reason };
    }
    case "totp":
      return (await secondFactorChecks.totp(ctx, ctx.db, userId, input)) ? { ok: true } : { ok: false, hasFactor: true };
    case "backup_code":
      return (await secondFactorChecks.backup_code(ctx, ctx.db, userId, input)) ? { ok: true } : { ok: false, hasFactor: true };
    case "phone_code":
      return (await secondFactorChecks.phone_code(ctx, ctx.db, userId, input)) ? { ok: true } : { ok: false, hasFactor: true };
    case "passkey":
      return (await secondFactorChecks.passkey(ctx, ctx.db, userId, input)) ? { ok: true } : { ok: false, hasFactor: true };
  }
}
