/**
 * Sign-up with a confirmed email address (the Email identity issue; SECURITY.md "Reset and verification").
 *
 * `auth.signUp` starts a sign-up: it hashes the password, stores a `sign_up_attempts` row and emails a 6-digit code
 * (10 minutes, 5 attempts) plus a one-shot link. No user exists until the code or the link is used, so an abandoned
 * sign-up never blocks the address's real owner. An address that already has an account gets the same answer and the
 * same verify page; its owner gets an "account exists" email instead of a code, and nothing can complete that attempt.
 *
 * When the instance lets unverified users in (`requireEmailVerification: false`), a sign-up with a new address
 * creates the user and signs in at once, and `emailVerification.*` confirms the address later (ADR 005).
 *
 * The instance settings shape every sign-up (sign-up-admission.ts, read per request): the allow- and blocklists, the
 * sign-up mode, the optional fields (username, phone kept on the attempt until the address is confirmed) and the
 * minimum password length. They are checked again when the account is created, where an instance invitation is claimed.
 */
import type { TRPCRouterRecord } from "@trpc/server";
import { and, eq, gt, isNull, lt, lte, sql } from "drizzle-orm";
import { z } from "zod";
import {
  emailAddresses,
  isUniqueViolation,
  passwordCredentials,
  signUpAttempts,
  users,
  type Database,
  type SignUpAttempt,
} from "@latchkey/db";
import {
  consumeToken,
  createSession,
  createVerification,
  defineRateLimit,
  HOUR,
  MINUTE,
  verifyCode,
  type OnVerified,
  type Verified,
} from "@latchkey/auth";
import { ApiError } from "../errors.ts";
import { logMailFailure } from "../mail/index.ts";
import { codeError } from "../verification-errors.ts";
import { enforceRateLimit } from "../rate-limits.ts";
import { recordAuditEvent } from "../audit.ts";
import type { Context } from "../context.ts";
import { authedProcedure, publicProcedure } from "../trpc.ts";
import { idSchema } from "../validation.ts";
import { admitNewAccount, usernameTaken, violatedConstraint, writeSignUpPhone } from "../sign-up-admission.ts";
import { testModeCode } from "../test-mode.ts";

export const CODE_TTL_MS = 10 * MINUTE;
/** How long a started sign-up can still be resent and completed (each code lives 10 minutes). */
export const SIGN_UP_TTL_MS = 24 * HOUR;
export const RESEND_COOLDOWN_MS = MINUTE;

const verifyPerIp = defineRateLimit("sign-up-verify:ip", 30, 15 * MINUTE);
const resendPerIp = defineRateLimit("sign-up-resend:ip", 20, HOUR);
const resendPerSignUp = defineRateLimit("sign-up-resend:attempt", 5, HOUR);
const linkPerIp = defineRateLimit("email-link:ip", 30, 15 * MINUTE);
const emailVerificationPerUser = defineRateLimit("email-verification:user", 5, HOUR);
const emailVerificationChecksPerUser = defineRateLimit("email-verification-check:user", 20, 15 * MINUTE);

/** A typed code: spaces and dashes people copy along are dropped; 6–8 digits. */
export const codeSchema = z
  .string()
  .max(32, "Enter the code from the email.")
  .transform((value) => value.replace(/[\s-]+/g, ""))
  .pipe(z.string().min(1, "Enter the code from the email.").regex(/^\d{6,8}$/, "The code is the 6 digits from the email."));

const linkTokenSchema = z.string().trim().min(1, "The link is incomplete.").max(200, "The link is not valid.");
const signUpIdSchema = idSchema("sua");

export interface StartSignUpInput {
  email: string;
  passwordHash: string;
  firstName: string | null;
  lastName: string | null;
  username: string | null;
  /** E.164; becomes an unverified `phone_numbers` row with the account. */
  phone: string | null;
  /** The instance invitation this sign-up came with; claimed when the account is created. */
  instanceInvitationId: string | null;
  locale: string | null;
}

/**
 * With `requireEmailVerification: false`: the user, an unverified primary address, a password and a session at once,
 * and a code to confirm the address later. null when the address is taken (the caller then answers as for a pending
 * sign-up and the owner is told).
 */
export async function createUnverifiedUser(ctx: Context, input: StartSignUpInput) {
  const now = ctx.now();
  let created;
  try {
    created = await ctx.db.transaction(async (tx) => {
      const { invited } = await admitNewAccount(ctx, tx, input, now);
      const [user] = await tx
        .insert(users)
        .values({ firstName: input.firstName, lastName: input.lastName, username: input.username, locale: input.locale, lastSignInAt: now, createdAt: now, updatedAt: now })
        .returning({ id: users.id });
      const userId = user!.id;
      await tx.insert(emailAddresses).values({ userId, email: input.email, isPrimary: true, createdAt: now });
      await tx.insert(passwordCredentials).values({ userId, hash: input.passwordHash, createdAt: now, updatedAt: now });
      await writeSignUpPhone(tx, userId, input.phone, now);
      const { session, token } = await createSession(tx, { userId, ip: ctx.ip, userAgent: ctx.userAgent, now, policy: await ctx.getSessionPolicy(tx) });
      await recordAuditEvent(
        ctx,
        {
          action: "user.signed_up",
          outcome: "success",
          actorUserId: userId,
          actorSessionId: session.id,
          targetType: "user",
          targetId: userId,
          details: { method: "password", emailVerified: false, ...(invited ? { instanceInvitationId: input.instanceInvitationId } : {}) },
        },
        tx,
      );
      return { userId, session, token };
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      if (violatedConstraint(error) === "users_username_key") throw usernameTaken();
      return null;
    }
    throw error;
  }
  ctx.setSessionCookie(created.token, created.session.expiresAt);
  await sendAddressVerification(ctx, created.userId, input.email);
  return { status: "complete" as const, userId: created.userId, sessionId: created.session.id };
}

/** What `auth.signUp` answers while the address is unconfirmed: the same whether or not it had an account. */
export interface PendingSignUp {
  status: "needs_verification";
  signUpId: string;
  email: string;
}

function verifyLink(ctx: Context, token: string, kind?: "address"): string {
  const query = new URLSearchParams({ token, ...(kind ? { for: kind } : {}) });
  return `${ctx.appUrl}/verify-email?${query.toString()}`;
}

/** A new code and link for this attempt (the older ones die), emailed; an existing account's owner is told instead. */
async function sendSignUpEmail(ctx: Context, attempt: SignUpAttempt): Promise<void> {
  const { code, token } = await createVerification(ctx.db, {
    purpose: "sign_up",
    target: attempt.id,
    ttlMs: CODE_TTL_MS,
    code: true,
    ...(await testModeCode(ctx.db, attempt.email)),
    link: true,
    now: ctx.now(),
  });
  if (attempt.existingUserId) {
    // The code above reaches nobody: it exists so that this attempt behaves exactly like a new one.
    const [owner] = await ctx.db
      .select({ locale: users.locale, deletedAt: users.deletedAt, bannedAt: users.bannedAt })
      .from(users)
      .where(eq(users.id, attempt.existingUserId));
    if (!owner || owner.deletedAt || owner.bannedAt) return;
    await ctx.mailer
      .sendAccountExists({
        to: attempt.email,
        locale: owner.locale,
        signInLink: `${ctx.appUrl}/sign-in`,
        resetLink: `${ctx.appUrl}/forgot-password`,
      })
      .catch(logMailFailure("account-exists notice"));
    return;
  }
  await ctx.mailer
    .sendVerificationCode({ to: attempt.email, locale: attempt.locale, code: code!, link: verifyLink(ctx, token!) })
    .catch(logMailFailure("sign-up verification"));
}

/** Records a sign-up waiting for its address and emails it; see the file comment for the existing-address case. */
export async function startSignUp(ctx: Context, input: StartSignUpInput): Promise<PendingSignUp> {
  const now = ctx.now();
  const [existing] = await ctx.db
    .select({ userId: emailAddresses.userId })
    .from(emailAddresses)
    .where(eq(emailAddresses.email, input.email))
    .limit(1);
  const [attempt] = await ctx.db
    .insert(signUpAttempts)
    .values({
      email: input.email,
      passwordHash: existing ? null : input.passwordHash,
      firstName: existing ? null : input.firstName,
      lastName: existing ? null : input.lastName,
      username: existing ? null : input.username,
      phone: existing ? null : input.phone,
      instanceInvitationId: existing ? null : input.instanceInvitationId,
      locale: input.locale,
      existingUserId: existing?.userId ?? null,
      lastSentAt: now,
      expiresAt: new Date(now.getTime() + SIGN_UP_TTL_MS),
      createdAt: now,
    })
    .returning();
  await sendSignUpEmail(ctx, attempt!);
  // Now and then, forget sign-ups that ended a week ago (finished ones have become users; the rest were abandoned).
  if (Math.random() < 0.005) void pruneSignUpAttempts(ctx.db, new Date(now.getTime() - 7 * 24 * HOUR)).catch(() => undefined);
  await recordAuditEvent(ctx, {
    action: "sign_up.started",
    outcome: "success",
    targetType: "sign_up",
    targetId: attempt!.id,
    // For operators only: the caller's answer never says this.
    details: { accountExists: Boolean(existing) },
  });
  return { status: "needs_verification", signUpId: attempt!.id, email: input.email };
}

/** Deletes sign-ups that expired before `olderThan`. */
export async function pruneSignUpAttempts(db: Database, olderThan: Date): Promise<void> {
  await db.delete(signUpAttempts).where(lt(signUpAttempts.expiresAt, olderThan));
}

const signUpGone = () =>
  new ApiError({ code: "BAD_REQUEST", reason: "SIGN_UP_EXPIRED", field: "code", message: "code: This sign-up has expired. Please sign up again." });
const alreadyVerified = (field: string) =>
  new ApiError({
    code: "BAD_REQUEST",
    reason: "ALREADY_VERIFIED",
    field,
    message: `${field}: This email address is already verified. You can sign in.`,
  });

async function findAttempt(db: Database, id: string): Promise<SignUpAttempt | undefined> {
  const [attempt] = await db.select().from(signUpAttempts).where(eq(signUpAttempts.id, id));
  return attempt;
}

type Method = "email_code" | "email_link";
/** Checks the code or link and runs the given work in the same transaction (`verifyCode`/`consumeToken`). */
type Proof = (onVerified: OnVerified<Created | null>) => Promise<Verified<Created | null>>;
type Created = { userId: string; sessionId: string; token: string; expiresAt: Date };

/**
 * Checks the code or link (`prove`) and turns the attempt it names into a user with a verified primary address, a
 * password and a session — all in the check's transaction, so a second submission of the same code waits for the
 * first to commit and is told it is already verified. A wrong code's spent attempt commits too.
 */
async function completeSignUp(ctx: Context, method: Method, prove: Proof): Promise<Verified<Created | null>> {
  const now = ctx.now();
  try {
    return await prove(async (tx, verification) => {
      const [attempt] = await tx
        .update(signUpAttempts)
        .set({ completedAt: now })
        .where(
          and(
            eq(signUpAttempts.id, verification.target),
            isNull(signUpAttempts.completedAt),
            isNull(signUpAttempts.existingUserId),
            gt(signUpAttempts.expiresAt, now),
          ),
        )
        .returning();
      if (!attempt?.passwordHash) return null;
      const { invited } = await admitNewAccount(ctx, tx, attempt, now);
      const [user] = await tx
        .insert(users)
        .values({
          firstName: attempt.firstName,
          lastName: attempt.lastName,
          username: attempt.username,
          locale: attempt.locale,
          lastSignInAt: now,
          createdAt: now,
          updatedAt: now,
        })
        .returning({ id: users.id });
      const userId = user!.id;
      await tx.insert(emailAddresses).values({ userId, email: attempt.email, isPrimary: true, verifiedAt: now, createdAt: now });
      await tx.insert(passwordCredentials).values({ userId, hash: attempt.passwordHash, createdAt: now, updatedAt: now });
      await writeSignUpPhone(tx, userId, attempt.phone, now);
      const { session, token } = await createSession(tx, { userId, ip: ctx.ip, userAgent: ctx.userAgent, now, policy: await ctx.getSessionPolicy(tx) });
      const details = { method, signUpId: attempt.id, ...(invited ? { instanceInvitationId: attempt.instanceInvitationId } : {}) };
      await recordAuditEvent(ctx, { action: "user.signed_up", outcome: "success", actorUserId: userId, actorSessionId: session.id, targetType: "user", targetId: userId, details }, tx);
      return { userId, sessionId: session.id, token, expiresAt: session.expiresAt };
    });
  } catch (error) {
    if (isUniqueViolation(error) && violatedConstraint(error) === "users_username_key") throw usernameTaken();
    // Another sign-up for the same address was confirmed first; whoever holds this code controls that mailbox.
    if (isUniqueViolation(error)) {
      throw new ApiError({
        code: "CONFLICT",
        reason: "ALREADY_REGISTERED",
        field: method === "email_code" ? "code" : "token",
        message: `${method === "email_code" ? "code" : "token"}: This email address already has an account. Sign in instead.`,
      });
    }
    throw error;
  }
}

/** The answer to a proven code or link: the new session, or why there is none. */
async function finishSignUp(ctx: Context, attemptId: string, created: Created | null, field: "code" | "token") {
  if (!created) {
    const attempt = await findAttempt(ctx.db, attemptId);
    if (attempt?.completedAt) throw alreadyVerified(field);
    if (!attempt || attempt.expiresAt.getTime() <= ctx.now().getTime()) throw field === "code" ? signUpGone() : expiredLink();
    // Only an existing-address attempt gets here, with a code nobody was sent: answer as for a wrong code.
    throw field === "code" ? codeError("invalid") : invalidLink();
  }
  // A session cookie for the browser that confirmed; any earlier session on this request is left alone.
  ctx.setSessionCookie(created.token, created.expiresAt);
  return { status: "complete" as const, userId: created.userId, sessionId: created.sessionId };
}

const invalidLink = () =>
  new ApiError({
    code: "BAD_REQUEST",
    reason: "INVALID_TOKEN",
    field: "token",
    message: "token: This link is not valid any more. If you already verified your address, sign in.",
  });
const expiredLink = () =>
  new ApiError({ code: "BAD_REQUEST", reason: "EXPIRED_TOKEN", field: "token", message: "token: This link has expired. Ask for a new code." });

export const signUpRouter = {
  /** The verify page's view of a started sign-up: the address and when a new code may be sent. */
  get: publicProcedure
    .input(z.object({ signUpId: signUpIdSchema }))
    .query(async ({ ctx, input }) => {
      const attempt = await findAttempt(ctx.db, input.signUpId);
      if (!attempt) throw new ApiError({ code: "NOT_FOUND", reason: "NOT_FOUND", message: "This sign-up was not found." });
      const now = ctx.now().getTime();
      const status = attempt.completedAt ? "complete" : attempt.expiresAt.getTime() <= now ? "expired" : "pending";
      const resendInSeconds = Math.max(0, Math.ceil((attempt.lastSentAt.getTime() + RESEND_COOLDOWN_MS - now) / 1000));
      return { signUpId: attempt.id, email: attempt.email, status, resendInSeconds: status === "pending" ? resendInSeconds : 0 };
    }),

  /** Checks the emailed code; the right one creates the account and signs in. */
  verify: publicProcedure
    .input(z.object({ signUpId: signUpIdSchema, code: codeSchema }))
    .mutation(async ({ ctx, input }) => {
      if (ctx.ip) await enforceRateLimit(ctx, verifyPerIp, `ip:${ctx.ip}`);
      const attempt = await findAttempt(ctx.db, input.signUpId);
      if (!attempt) throw signUpGone();
      if (attempt.completedAt) throw alreadyVerified("code");
      if (attempt.expiresAt.getTime() <= ctx.now().getTime()) throw signUpGone();
      const proof = await completeSignUp(ctx, "email_code", (onVerified) =>
        verifyCode(ctx.db, { purpose: "sign_up", target: attempt.id, code: input.code, now: ctx.now() }, onVerified),
      );
      if (!proof.ok) {
        await recordAuditEvent(ctx, { action: "sign_up.verify", outcome: "failure", targetType: "sign_up", targetId: attempt.id, details: { method: "email_code", reason: proof.reason } });
        // Two tabs sending the same right code: the one that lost the race is told it is done, not that it was wrong.
        if (proof.reason === "already_verified") throw alreadyVerified("code");
        throw codeError(proof.reason);
      }
      return finishSignUp(ctx, attempt.id, proof.value, "code");
    }),

  /** Uses the emailed link once (the page asks for a click first, so mail scanners that open links don't spend it). */
  confirmLink: publicProcedure
    .input(z.object({ token: linkTokenSchema }))
    .mutation(async ({ ctx, input }) => {
      if (ctx.ip) await enforceRateLimit(ctx, linkPerIp, `ip:${ctx.ip}`);
      const proof = await completeSignUp(ctx, "email_link", (onVerified) =>
        consumeToken(ctx.db, { purpose: "sign_up", token: input.token, now: ctx.now() }, onVerified),
      );
      if (!proof.ok) {
        await recordAuditEvent(ctx, { action: "sign_up.verify", outcome: "failure", details: { method: "email_link", reason: proof.reason } });
        if (proof.reason === "already_verified") throw alreadyVerified("token");
        throw proof.reason === "expired" ? expiredLink() : invalidLink();
      }
      return finishSignUp(ctx, proof.verification.target, proof.value, "token");
    }),

  /** A new code and link (the old ones die), at most once a minute and 5 times an hour per sign-up. */
  resend: publicProcedure
    .input(z.object({ signUpId: signUpIdSchema }))
    .mutation(async ({ ctx, input }) => {
      if (ctx.ip) await enforceRateLimit(ctx, resendPerIp, `ip:${ctx.ip}`);
      const now = ctx.now();
      // One statement claims the resend, so two clicks at once send one email.
      const [attempt] = await ctx.db
        .update(signUpAttempts)
        .set({ lastSentAt: now })
        .where(
          and(
            eq(signUpAttempts.id, input.signUpId),
            isNull(signUpAttempts.completedAt),
            gt(signUpAttempts.expiresAt, now),
            lte(signUpAttempts.lastSentAt, new Date(now.getTime() - RESEND_COOLDOWN_MS)),
          ),
        )
        .returning();
      if (!attempt) {
        const current = await findAttempt(ctx.db, input.signUpId);
        if (!current || current.expiresAt.getTime() <= now.getTime()) throw signUpGone();
        if (current.completedAt) throw alreadyVerified("code");
        const wait = Math.max(1, Math.ceil((current.lastSentAt.getTime() + RESEND_COOLDOWN_MS - now.getTime()) / 1000));
        throw new ApiError({
          code: "TOO_MANY_REQUESTS",
          reason: "RESEND_COOLDOWN",
          message: `A code was just sent. You can ask for a new one in ${wait} seconds.`,
          retryAfterSeconds: wait,
        });
      }
      await enforceRateLimit(ctx, resendPerSignUp, `attempt:${attempt.id}`);
      await sendSignUpEmail(ctx, attempt);
      await recordAuditEvent(ctx, { action: "sign_up.code_resent", outcome: "success", targetType: "sign_up", targetId: attempt.id });
      return { sent: true as const, resendInSeconds: RESEND_COOLDOWN_MS / 1000 };
    }),
} satisfies TRPCRouterRecord;

/** The caller's primary address, if it still needs confirming. */
async function unverifiedPrimary(db: Database, userId: string) {
  const [address] = await db
    .select({ id: emailAddresses.id, email: emailAddresses.email, verifiedAt: emailAddresses.verifiedAt })
    .from(emailAddresses)
    .where(and(eq(emailAddresses.userId, userId), eq(emailAddresses.isPrimary, true)));
  return address;
}

/** Marks the address verified if it still belongs to the user the code or link was made for. */
async function markVerified(ctx: Context, tx: Database, userId: string, email: string, method: string): Promise<boolean> {
  const now = ctx.now();
  const updated = await tx
    .update(emailAddresses)
    .set({ verifiedAt: sql`coalesce(${emailAddresses.verifiedAt}, ${now.toISOString()}::timestamptz)` })
    .where(and(eq(emailAddresses.userId, userId), eq(emailAddresses.email, email)))
    .returning({ id: emailAddresses.id });
  await recordAuditEvent(ctx, {
    action: "user.email_verified",
    outcome: updated.length > 0 ? "success" : "failure",
    actorUserId: userId,
    targetType: "user",
    targetId: userId,
    details: { method },
  }, tx);
  return updated.length > 0;
}

/** Confirming the primary address of a user who was let in before confirming it (`requireEmailVerification: false`). */
export const emailVerificationRouter = {
  /** Emails a code and a link to the caller's unverified primary address. */
  send: authedProcedure.sensitive().mutation(async ({ ctx }) => {
    const address = await unverifiedPrimary(ctx.db, ctx.user.id);
    if (!address) throw new ApiError({ code: "NOT_FOUND", reason: "NOT_FOUND", message: "You have no primary email address." });
    if (address.verifiedAt) throw alreadyVerified("email");
    await enforceRateLimit(ctx, emailVerificationPerUser, `user:${ctx.user.id}`);
    await sendAddressVerification(ctx, ctx.user.id, address.email);
    return { sent: true as const, email: address.email };
  }),

  /** Checks the code for the caller's primary address. */
  verify: authedProcedure
    .sensitive()
    .input(z.object({ code: codeSchema }))
    .mutation(async ({ ctx, input }) => {
      await enforceRateLimit(ctx, emailVerificationChecksPerUser, `user:${ctx.user.id}`);
      const address = await unverifiedPrimary(ctx.db, ctx.user.id);
      if (!address) throw codeError("invalid");
      if (address.verifiedAt) throw alreadyVerified("code");
      const result = await verifyCode(ctx.db, { purpose: "email_verification", target: address.email, code: input.code, now: ctx.now() }, (tx, verification) =>
        verification.userId === ctx.user.id ? markVerified(ctx, tx, ctx.user.id, address.email, "email_code").then(() => true) : Promise.resolve(false),
      );
      if (result.ok && result.value) return { verified: true as const };
      if (!result.ok && result.reason === "already_verified") throw alreadyVerified("code");
      await recordAuditEvent(ctx, { action: "user.email_verified", outcome: "failure", actorUserId: ctx.user.id, details: { method: "email_code" } });
      throw codeError(result.ok ? "invalid" : result.reason);
    }),

  /** Uses the emailed link once; it confirms the address, it does not sign in. */
  confirmLink: publicProcedure
    .input(z.object({ token: linkTokenSchema }))
    .mutation(async ({ ctx, input }) => {
      if (ctx.ip) await enforceRateLimit(ctx, linkPerIp, `ip:${ctx.ip}`);
      const result = await consumeToken(ctx.db, { purpose: "email_verification", token: input.token, now: ctx.now() }, (tx, { userId, target }) =>
        userId ? markVerified(ctx, tx, userId, target, "email_link") : Promise.resolve(false),
      );
      if (!result.ok) throw result.reason === "already_verified" ? alreadyVerified("token") : result.reason === "expired" ? expiredLink() : invalidLink();
      if (!result.value) throw invalidLink();
      return { verified: true as const };
    }),
} satisfies TRPCRouterRecord;

/** Emails a code and link confirming `email` for `userId` (purpose `email_verification`). */
export async function sendAddressVerification(ctx: Context, userId: string, email: string): Promise<void> {
  const { code, token } = await createVerification(ctx.db, {
    purpose: "email_verification",
    target: email,
    userId,
    ttlMs: CODE_TTL_MS,
    code: true,
    ...(await testModeCode(ctx.db, email)),
    link: true,
    now: ctx.now(),
  });
  const [owner] = await ctx.db.select({ locale: users.locale }).from(users).where(eq(users.id, userId));
  await ctx.mailer
    .sendVerificationCode({ to: email, locale: owner?.locale ?? null, code: code!, link: verifyLink(ctx, token!, "address") })
    .catch(logMailFailure("email verification"));
  await recordAuditEvent(ctx, { action: "user.email_verification_sent", outcome: "success", actorUserId: userId, targetType: "user", targetId: userId });
}
