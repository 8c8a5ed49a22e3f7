/**
 * Phone numbers on the profile, verified by a 6-digit SMS code, and SMS codes as a second factor.
 *
 * Adding a number stores it unverified on the caller's account and texts a code (verification purpose
 * `phone_verification`, target the phone row's id, 10 minutes, 5 attempts — the limits of email codes). A number
 * already verified on another account gets the same answer and the same pending row, but no text: its code exists
 * only as a hash and can never be typed, so nobody learns whose number it is and nobody is texted by a stranger.
 *
 * Removing a number and choosing the one that receives sign-in codes need reverification; the user is emailed when a
 * number starts or stops receiving sign-in codes. `sendSmsSecondFactorCode` and `checkSmsSecondFactorCode` are for the
 * second step of sign-in (purpose `sms_second_factor`, target the user id).
 *
 * Limits: texts cost money and can harass, so adding and resending are limited per user, per IP and per number, with
 * a one-minute cooldown between codes to one number; checks per user on top of the 5 attempts per code.
 */
import type { TRPCRouterRecord } from "@trpc/server";
import { and, asc, desc, eq, isNotNull, isNull, ne } from "drizzle-orm";
import { z } from "zod";
import { isUniqueViolation, phoneNumbers, users, verifications } from "@latchkey/db";
import { createVerification, defineRateLimit, HOUR, invalidateUserSessions, MINUTE, verifyCode } from "@latchkey/auth";
import type { Context } from "../context.ts";
import { ApiError, fieldError } from "../errors.ts";
import { recordAuditEvent } from "../audit.ts";
import { enforceRateLimit } from "../rate-limits.ts";
import { codeError } from "../verification-errors.ts";
import { sendSecurityNotice } from "../security-notice.ts";
import { smsCodeBody } from "../sms/index.ts";
import { authedProcedure, requireReverification } from "../trpc.ts";
import { idSchema } from "../validation.ts";
import { testModeCode } from "../test-mode.ts";

/** At most this many numbers per account, verified or not. */
export const MAX_PHONE_NUMBERS = 5;
/** SECURITY.md: codes live at most 10 minutes. */
export const SMS_CODE_TTL_MS = 10 * MINUTE;
/** As for emailed sign-up codes: one code per number per minute. */
export const SMS_RESEND_COOLDOWN_MS = MINUTE;

const addsPerUser = defineRateLimit("phone-add:user", 10, HOUR);
const addsPerIp = defineRateLimit("phone-add:ip", 30, HOUR);
/** One number receives at most this many codes an hour, whoever asks. */
const textsPerNumber = defineRateLimit("phone-sms:number", 5, HOUR);
const checksPerUser = defineRateLimit("phone-verify:user", 20, 15 * MINUTE);
const secondFactorTextsPerUser = defineRateLimit("sms-second-factor:user", 5, HOUR);

/** E.164: a plus, a country code not starting with 0, 8 to 15 digits in all. Spaces, dots, dashes and brackets are dropped. */
export const phoneSchema = z
  .string()
  .max(32, "Enter the number in international format, e.g. +48 601 234 567.")
  .transform((value) => value.replace(/[\s().-]/g, ""))
  .pipe(z.string().regex(/^\+[1-9]\d{7,14}$/, "Enter the number in international format, e.g. +48 601 234 567."));

const codeSchema = z
  .string()
  .max(32, "Enter the 6-digit code from the text message.")
  .transform((value) => value.replace(/[\s-]/g, ""))
  .pipe(z.string().regex(/^\d{6}$/, "Enter the 6-digit code from the text message."));

const phoneIdSchema = idSchema("phone");

const notFound = () => new ApiError({ code: "NOT_FOUND", reason: "NOT_FOUND", message: "That phone number was not found on your account." });

const listed = {
  id: phoneNumbers.id,
  phone: phoneNumbers.phone,
  verifiedAt: phoneNumbers.verifiedAt,
  usedForMfa: phoneNumbers.usedForMfa,
  createdAt: phoneNumbers.createdAt,
};

type Actor = Pick<Context, "db" | "ip" | "userAgent" | "now"> & { user: { id: string }; session: { id: string } };

function audit(ctx: Actor, action: string, outcome: "success" | "failure", phoneId: string | null, details: Record<string, unknown>, db: Context["db"] = ctx.db) {
  return recordAuditEvent(
    ctx,
    { action, outcome, actorUserId: ctx.user.id, actorSessionId: ctx.session.id, targetType: phoneId ? "phone_number" : "user", targetId: phoneId ?? ctx.user.id, details },
    db,
  );
}

/** `+48•••••••789`: enough to recognise one's own number, not to learn someone's. */
export function maskPhone(phone: string): string {
  return `${phone.slice(0, 3)}${"•".repeat(Math.max(0, phone.length - 6))}${phone.slice(-3)}`;
}

function smsUnavailable(): ApiError {
  return new ApiError({ code: "SERVICE_UNAVAILABLE", reason: "SMS_NOT_DELIVERED", message: "Text messages can't be sent right now. Try again later." });
}

/** Logs a failed text without the number or the body. */
function logSmsFailure(what: string) {
  return (error: unknown) => console.error(`[sms] ${what} not sent: ${error instanceof Error ? error.message : "unknown error"}`);
}

/** Seconds until another code may go to this target, or 0. */
async function cooldownLeft(ctx: Pick<Context, "db" | "now">, purpose: string, target: string): Promise<number> {
  const [latest] = await ctx.db
    .select({ createdAt: verifications.createdAt })
    .from(verifications)
    .where(and(eq(verifications.purpose, purpose), eq(verifications.target, target)))
    .orderBy(desc(verifications.createdAt))
    .limit(1);
  if (!latest) return 0;
  const wait = latest.createdAt.getTime() + SMS_RESEND_COOLDOWN_MS - ctx.now().getTime();
  return wait > 0 ? Math.ceil(wait / 1000) : 0;
}

function cooldownError(seconds: number): ApiError {
  return new ApiError({
    code: "TOO_MANY_REQUESTS",
    reason: "RESEND_COOLDOWN",
    message: `Wait ${seconds} seconds before asking for another code.`,
    retryAfterSeconds: seconds,
  });
}

/**
 * Starts a verification for the caller's pending number and texts the code — unless the number is verified on
 * another account, which gets the row and no text (see the file comment). Not awaited, so timing tells nothing.
 */
async function startPhoneVerification(ctx: Context & Actor, row: { id: string; phone: string }, locale: string | null) {
  const wait = await cooldownLeft(ctx, "phone_verification", row.id);
  if (wait > 0) throw cooldownError(wait);
  await enforceRateLimit(ctx, textsPerNumber, `phone:${row.phone}`);
  const [owner] = await ctx.db
    .select({ userId: phoneNumbers.userId })
    .from(phoneNumbers)
    .where(and(eq(phoneNumbers.phone, row.phone), isNotNull(phoneNumbers.verifiedAt), ne(phoneNumbers.userId, ctx.user.id)))
    .limit(1);
  const created = await createVerification(ctx.db, {
    purpose: "phone_verification",
    target: row.id,
    userId: ctx.user.id,
    ttlMs: SMS_CODE_TTL_MS,
    code: true,
    ...(await testModeCode(ctx.db, row.phone)),
    now: ctx.now(),
  });
  if (owner) {
    await audit(ctx, "user.phone_code_requested", "failure", row.id, { reason: "number_in_use" });
  } else {
    if (!ctx.sms) throw smsUnavailable();
    void ctx.sms
      .send({ to: row.phone, body: smsCodeBody({ kind: "phone_verification", code: created.code!, locale, host: new URL(ctx.appUrl).hostname }) })
      .catch(logSmsFailure("phone verification code"));
    await audit(ctx, "user.phone_code_requested", "success", row.id, {});
  }
  return { id: row.id, phone: row.phone, expiresAt: created.expiresAt, resendInSeconds: SMS_RESEND_COOLDOWN_MS / 1000 };
}

async function lockUser(tx: Context["db"], userId: string): Promise<void> {
  await tx.select({ id: users.id }).from(users).where(eq(users.id, userId)).for("update");
}

export const phoneRouter = {
  /** The caller's numbers, oldest first. */
  list: authedProcedure.allowWithoutMfa().routine().query(({ ctx }) =>
    ctx.db.select(listed).from(phoneNumbers).where(eq(phoneNumbers.userId, ctx.user.id)).orderBy(asc(phoneNumbers.createdAt), asc(phoneNumbers.id)),
  ),

  /** Adds a number, unverified, and texts it a code. */
  add: authedProcedure
    .allowWithoutMfa().sensitive()
    .input(z.object({ phone: phoneSchema }))
    .mutation(async ({ ctx, input }) => {
      if (!ctx.sms) throw smsUnavailable();
      await enforceRateLimit(ctx, addsPerUser, `user:${ctx.user.id}`);
      if (ctx.ip) await enforceRateLimit(ctx, addsPerIp, `ip:${ctx.ip}`);
      const row = await ctx.db.transaction(async (tx) => {
        await lockUser(tx, ctx.user.id);
        const mine = await tx.select({ id: phoneNumbers.id, phone: phoneNumbers.phone, verifiedAt: phoneNumbers.verifiedAt }).from(phoneNumbers).where(eq(phoneNumbers.userId, ctx.user.id));
        const existing = mine.find((p) => p.phone === input.phone);
        if (existing?.verifiedAt) throw fieldError("phone", "This number is already on your account.", "PHONE_ALREADY_YOURS");
        if (existing) return existing;
        if (mine.length >= MAX_PHONE_NUMBERS) {
          throw fieldError("phone", `You can have at most ${MAX_PHONE_NUMBERS} phone numbers. Remove one first.`, "PHONE_LIMIT_REACHED");
        }
        const [added] = await tx.insert(phoneNumbers).values({ userId: ctx.user.id, phone: input.phone, createdAt: ctx.now() }).returning({ id: phoneNumbers.id, phone: phoneNumbers.phone });
        await audit(ctx, "user.phone_added", "success", added!.id, { phone: maskPhone(added!.phone) }, tx);
        return added!;
      });
      return startPhoneVerification(ctx, row, ctx.user.locale);
    }),

  /** Texts a new code to a pending number (after a one-minute cooldown). */
  resendCode: authedProcedure
    .allowWithoutMfa().sensitive()
    .input(z.object({ phoneNumberId: phoneIdSchema }))
    .mutation(async ({ ctx, input }) => {
      if (!ctx.sms) throw smsUnavailable();
      await enforceRateLimit(ctx, addsPerUser, `user:${ctx.user.id}`);
      const [row] = await ctx.db
        .select({ id: phoneNumbers.id, phone: phoneNumbers.phone, verifiedAt: phoneNumbers.verifiedAt })
        .from(phoneNumbers)
        .where(and(eq(phoneNumbers.id, input.phoneNumberId), eq(phoneNumbers.userId, ctx.user.id)));
      if (!row) throw notFound();
      if (row.verifiedAt) throw fieldError("phoneNumberId", "This number is already verified.", "PHONE_ALREADY_YOURS");
      return startPhoneVerification(ctx, row, ctx.user.locale);
    }),

  /** The texted code marks the number verified. */
  verify: authedProcedure
    .allowWithoutMfa().sensitive()
    .input(z.object({ phoneNumberId: phoneIdSchema, code: codeSchema }))
    .mutation(async ({ ctx, input }) => {
      await enforceRateLimit(ctx, checksPerUser, `user:${ctx.user.id}`);
      const [row] = await ctx.db
        .select({ id: phoneNumbers.id, verifiedAt: phoneNumbers.verifiedAt })
        .from(phoneNumbers)
        .where(and(eq(phoneNumbers.id, input.phoneNumberId), eq(phoneNumbers.userId, ctx.user.id)));
      if (!row) throw notFound();
      if (row.verifiedAt) throw fieldError("code", "This number is already verified.", "PHONE_ALREADY_YOURS");
      try {
        // The number is marked in the code check's transaction: a double submission marks it once, and the other is
        // told the code was already used.
        const result = await verifyCode(ctx.db, { purpose: "phone_verification", target: row.id, code: input.code, now: ctx.now() }, async (tx, verification) => {
          if (verification.userId !== ctx.user.id) return null;
          const [verified] = await tx
            .update(phoneNumbers)
            .set({ verifiedAt: ctx.now() })
            .where(and(eq(phoneNumbers.id, row.id), isNull(phoneNumbers.verifiedAt)))
            .returning(listed);
          if (!verified) return null;
          await audit(ctx, "user.phone_verified", "success", row.id, { phone: maskPhone(verified.phone) }, tx);
          return verified;
        });
        if (!result.ok || !result.value) {
          const reason = result.ok ? "invalid" : result.reason;
          await audit(ctx, "user.phone_verify_failed", "failure", row.id, { reason });
          if (reason === "already_verified") throw fieldError("code", "This number is already verified.", "PHONE_ALREADY_YOURS");
          throw codeError(reason);
        }
        return result.value;
      } catch (error) {
        // Verified on another account meanwhile: answered like a wrong code, so it tells nothing about that account.
        if (isUniqueViolation(error)) {
          await audit(ctx, "user.phone_verify_failed", "failure", row.id, { reason: "number_in_use" });
          throw codeError("invalid");
        }
        throw error;
      }
    }),

  /** Removes a number; when it received sign-in codes the user is told. */
  remove: authedProcedure
    .allowWithoutMfa().sensitive()
    .use(requireReverification("strict"))
    .input(z.object({ phoneNumberId: phoneIdSchema }))
    .mutation(async ({ ctx, input }) => {
      const removed = await ctx.db.transaction(async (tx) => {
        const [row] = await tx
          .delete(phoneNumbers)
          .where(and(eq(phoneNumbers.id, input.phoneNumberId), eq(phoneNumbers.userId, ctx.user.id)))
          .returning({ id: phoneNumbers.id, phone: phoneNumbers.phone, usedForMfa: phoneNumbers.usedForMfa });
        if (!row) throw notFound();
        await tx.update(verifications).set({ consumedAt: ctx.now() }).where(and(eq(verifications.target, row.id), isNull(verifications.consumedAt)));
        // A number that finished sign-ins: other sessions end with it (SECURITY.md: an MFA change revokes sessions).
        const sessionsEnded = row.usedForMfa ? await invalidateUserSessions(tx, ctx.user.id, ctx.session.id) : 0;
        await audit(ctx, "user.phone_removed", "success", row.id, { phone: maskPhone(row.phone), usedForMfa: row.usedForMfa, sessionsEnded }, tx);
        return row;
      });
      if (removed.usedForMfa) await sendSecurityNotice(ctx, ctx.user.id, "phone_removed");
      return { phoneNumberId: removed.id, removed: true as const };
    }),

  /** Chooses the verified number that receives sign-in codes (one at a time), or stops using it. */
  setUsedForMfa: authedProcedure
    .allowWithoutMfa().sensitive()
    .use(requireReverification("strict"))
    .input(z.object({ phoneNumberId: phoneIdSchema, usedForMfa: z.boolean() }))
    .mutation(async ({ ctx, input }) => {
      const change = await ctx.db.transaction(async (tx) => {
        await lockUser(tx, ctx.user.id);
        const [row] = await tx
          .select({ id: phoneNumbers.id, phone: phoneNumbers.phone, verifiedAt: phoneNumbers.verifiedAt, usedForMfa: phoneNumbers.usedForMfa })
          .from(phoneNumbers)
          .where(and(eq(phoneNumbers.id, input.phoneNumberId), eq(phoneNumbers.userId, ctx.user.id)));
        if (!row) throw notFound();
        if (!row.verifiedAt) throw fieldError("phoneNumberId", "Confirm this number with the texted code first.", "PHONE_NOT_VERIFIED");
        if (row.usedForMfa === input.usedForMfa) return null;
        if (input.usedForMfa) {
          await tx.update(phoneNumbers).set({ usedForMfa: false }).where(and(eq(phoneNumbers.userId, ctx.user.id), ne(phoneNumbers.id, row.id)));
        }
        await tx.update(phoneNumbers).set({ usedForMfa: input.usedForMfa }).where(eq(phoneNumbers.id, row.id));
        // Turning sign-in codes off is an MFA change: other sessions end (this one stays).
        const sessionsEnded = input.usedForMfa ? 0 : await invalidateUserSessions(tx, ctx.user.id, ctx.session.id);
        await audit(ctx, input.usedForMfa ? "user.phone_mfa_enabled" : "user.phone_mfa_disabled", "success", row.id, { phone: maskPhone(row.phone), sessionsEnded }, tx);
        return input.usedForMfa;
      });
      if (change !== null) await sendSecurityNotice(ctx, ctx.user.id, change ? "phone_added" : "phone_removed");
      return { phoneNumberId: input.phoneNumberId, usedForMfa: input.usedForMfa, changed: change !== null };
    }),
} satisfies TRPCRouterRecord;

/**
 * For the second step of sign-in: texts a sign-in code to the user's verified MFA number (purpose `sms_second_factor`,
 * target the user id; a newer code kills the older). Waits for the carrier and throws SMS_NOT_DELIVERED (503) when it
 * refused; NOT_FOUND when the user has no such number; 429 on the cooldown or the hourly limit.
 */
export async function sendSmsSecondFactorCode(ctx: Context, userId: string): Promise<{ phone: string; expiresAt: Date; resendInSeconds: number }> {
  const [row] = await ctx.db
    .select({ phone: phoneNumbers.phone, locale: users.locale })
    .from(phoneNumbers)
    .innerJoin(users, eq(users.id, phoneNumbers.userId))
    .where(and(eq(phoneNumbers.userId, userId), eq(phoneNumbers.usedForMfa, true), isNotNull(phoneNumbers.verifiedAt)))
    .limit(1);
  if (!row) throw new ApiError({ code: "NOT_FOUND", reason: "NOT_FOUND", message: "No phone number receives sign-in codes for this account." });
  if (!ctx.sms) throw smsUnavailable();
  const wait = await cooldownLeft(ctx, "sms_second_factor", userId);
  if (wait > 0) throw cooldownError(wait);
  await enforceRateLimit(ctx, secondFactorTextsPerUser, `user:${userId}`);
  const created = await createVerification(ctx.db, {
    purpose: "sms_second_factor",
    target: userId,
    userId,
    ttlMs: SMS_CODE_TTL_MS,
    code: true,
    ...(await testModeCode(ctx.db, row.phone)),
    now: ctx.now(),
  });
  try {
    await ctx.sms.send({ to: row.phone, body: smsCodeBody({ kind: "sms_second_factor", code: created.code!, locale: row.locale, host: new URL(ctx.appUrl).hostname }) });
  } catch (error) {
    logSmsFailure("sign-in code")(error);
    await recordAuditEvent(ctx, { action: "user.sms_code_sent", outcome: "failure", actorUserId: userId, targetType: "user", targetId: userId, details: { reason: "not_delivered" } });
    throw smsUnavailable();
  }
  await recordAuditEvent(ctx, { action: "user.sms_code_sent", outcome: "success", actorUserId: userId, targetType: "user", targetId: userId, details: { phone: maskPhone(row.phone) } });
  return { phone: maskPhone(row.phone), expiresAt: created.expiresAt, resendInSeconds: SMS_RESEND_COOLDOWN_MS / 1000 };
}

/**
 * Checks a texted sign-in code: true once for the right code within 10 minutes and 5 attempts (the attempt is spent
 * atomically, so parallel guesses can't exceed the cap), false otherwise. The number must still be the user's MFA
 * number, so removing it kills a code in flight.
 */
export async function checkSmsSecondFactorCode(ctx: Pick<Context, "db" | "now">, userId: string, code: string): Promise<boolean> {
  const [row] = await ctx.db
    .select({ id: phoneNumbers.id })
    .from(phoneNumbers)
    .where(and(eq(phoneNumbers.userId, userId), eq(phoneNumbers.usedForMfa, true), isNotNull(phoneNumbers.verifiedAt)))
    .limit(1);
  if (!row) return false;
  const normalized = code.replace(/[\s-]/g, "");
  if (!/^\d{6}$/.test(normalized)) return false;
  const result = await verifyCode(ctx.db, { purpose: "sms_second_factor", target: userId, code: normalized, now: ctx.now() });
  return result.ok && result.verification.userId === userId;
}
