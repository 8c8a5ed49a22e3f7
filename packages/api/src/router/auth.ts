import type { TRPCRouterRecord } from "@trpc/server";
import { and, eq } from "drizzle-orm";
import { z } from "zod";
import { emailAddresses, passwordCredentials, sessions, users } from "@latchkey/db";
import {
  consumeRateLimit,
  defineRateLimit,
  HOUR,
  MINUTE,
  hashPassword,
  invalidateSession,
  needsRehash,
  verifyPasswordOrDummy,
} from "@latchkey/auth";
import { authedProcedure, publicProcedure } from "../trpc.ts";
import { ApiError } from "../errors.ts";
import { logMailFailure } from "../mail/index.ts";
import { enforceRateLimit } from "../rate-limits.ts";
import type { Context } from "../context.ts";
import { endImpersonation } from "./impersonation.ts";
import { recordAuditEvent } from "../audit.ts";
import { completeSignIn, signInFailures } from "../sign-in.ts";
import { emailSchema, passwordSchema } from "../validation.ts";
import { requireAllowedSignInAddress, requireSignInMethod } from "../sign-in-policy.ts";
import { prepareSignUp, signUpInputSchema } from "../sign-up-admission.ts";
import { createUnverifiedUser, sendAddressVerification, startSignUp, type PendingSignUp } from "./sign-up.ts";
import { codeError } from "../verification-errors.ts";
import { issueBotCheck, limitsOf, requireHuman, requirePermanentEmail } from "../bot-protection.ts";
import {
  checkReverificationFactor,
  createReverificationPasskeyOptions,
  listReverificationFactors,
  reverifyInputSchema,
  sendReverificationEmailCode,
  sendReverificationSmsCode,
} from "../reverification.ts";

const invalidCredentials = () =>
  new ApiError({ code: "UNAUTHORIZED", reason: "INVALID_CREDENTIALS", message: "Email address or password is incorrect." });

// The limits guarding these flows (SECURITY.md: per-IP and per-account limits, lockout after repeated failures).
const signInPerIp = defineRateLimit("sign-in:ip", 50, 15 * MINUTE);
const signInPerEmail = defineRateLimit("sign-in:email", 20, 15 * MINUTE);
/** 10 failed passwords within an hour (`signInFailures`) lock the account's sign-in this long; the answer stays generic. */
const LOCKOUT_MS = 15 * MINUTE;
const signUpPerIp = defineRateLimit("sign-up:ip", 30, HOUR);
const signUpPerEmail = defineRateLimit("sign-up:email", 5, HOUR);
/** Verification emails sent when an unverified account signs in with its password. */
const unverifiedSignInMails = defineRateLimit("sign-in:unverified-mail", 3, HOUR);
const reverifyPerUser = defineRateLimit("reverify:user", 10, 15 * MINUTE);


/**
 * One more failed password (or wrong second-factor code) for this account; the tenth within the hour locks sign-in
 * for 15 minutes.
 */
export async function countFailure(ctx: Context, userId: string, now: Date): Promise<void> {
  const result = await consumeRateLimit(ctx.db, signInFailures, `user:${userId}`, now);
  if (result.ok && result.remaining > 0) return;
  const [owner] = await ctx.db
    .update(users)
    .set({ lockedUntil: new Date(now.getTime() + LOCKOUT_MS) })
    .where(eq(users.id, userId))
    .returning({ locale: users.locale });
  await recordAuditEvent(ctx, {
    action: "user.locked",
    outcome: "success",
    targetType: "user",
    targetId: userId,
    details: { reason: "failed_sign_ins", minutes: LOCKOUT_MS / MINUTE },
  });
  // Tell the owner; a mail failure must not change the (generic) answer to the caller.
  const [address] = await ctx.db
    .select({ email: emailAddresses.email })
    .from(emailAddresses)
    .where(and(eq(emailAddresses.userId, userId), eq(emailAddresses.isPrimary, true)));
  if (address) {
    await ctx.mailer
      .sendLockoutNotice({ to: address.email, locale: owner?.locale ?? null, minutes: LOCKOUT_MS / MINUTE })
      .catch(logMailFailure("lockout notice"));
  }
}

export const authRouter = {
  /**
   * Starts a sign-up. By default the answer is "check your email" whether or not the address has an account (see
   * router/sign-up.ts); an instance that lets unverified users in signs a new user in at once (ADR 005).
   */
  signUp: publicProcedure
    .input(signUpInputSchema)
    .mutation(async ({ ctx, input }): Promise<PendingSignUp | { status: "complete"; userId: string; sessionId: string }> => {
      await requireHuman(ctx, { flow: "sign_up", limits: limitsOf(ctx, [signUpPerIp, signUpPerEmail], input.email) });
      await requirePermanentEmail(ctx, "sign_up", input.email);
      if (ctx.ip) await enforceRateLimit(ctx, signUpPerIp, `ip:${ctx.ip}`);
      // The instance settings: who may sign up, the sign-up fields, the password's minimum length (router/sign-up.ts).
      const prepared = await prepareSignUp(ctx, input);
      // Counted for every address, new or not, so the limit does not tell which ones have accounts.
      await enforceRateLimit(ctx, signUpPerEmail, `email:${input.email}`);
      // Hashed for existing addresses too, so the time taken does not tell them apart.
      const passwordHash = await hashPassword(input.password);
      const fields = {
        email: input.email,
        passwordHash,
        firstName: prepared.firstName,
        lastName: prepared.lastName,
        username: prepared.username,
        phone: prepared.phone,
        instanceInvitationId: prepared.instanceInvitationId,
        locale: input.locale ?? null,
      };
      if (!prepared.settings.requireEmailVerification) {
        const created = await createUnverifiedUser(ctx, fields);
        if (created) return created;
      }
      return startSignUp(ctx, fields);
    }),

  signIn: publicProcedure
    .input(z.object({ email: emailSchema, password: passwordSchema }))
    .mutation(async ({ ctx, input }) => {
      await requireHuman(ctx, { flow: "sign_in", limits: limitsOf(ctx, [signInPerIp, signInPerEmail], input.email) });
      if (ctx.ip) await enforceRateLimit(ctx, signInPerIp, `ip:${ctx.ip}`);
      // Counted for unknown addresses too, so the limit does not tell whether an account exists.
      await enforceRateLimit(ctx, signInPerEmail, `email:${input.email}`);
      // Before the account is looked up: these answers depend on the settings and the address, never on an account.
      const settings = await requireSignInMethod(ctx, "password");
      await requireAllowedSignInAddress(ctx, "password", input.email, settings);
      const now = ctx.now();
      const [account] = await ctx.db
        .select({
          userId: users.id,
          hash: passwordCredentials.hash,
          bannedAt: users.bannedAt,
          deletedAt: users.deletedAt,
          lockedUntil: users.lockedUntil,
          emailVerifiedAt: emailAddresses.verifiedAt,
        })
        .from(emailAddresses)
        .innerJoin(users, eq(users.id, emailAddresses.userId))
        .leftJoin(passwordCredentials, eq(passwordCredentials.userId, users.id))
        .where(eq(emailAddresses.email, input.email))
        .limit(1);
      // Unknown addresses still cost one argon2 verify, so timing does not tell whether an account exists.
      const passwordOk = await verifyPasswordOrDummy(account?.hash ?? null, input.password);
      const locked = account?.lockedUntil != null && account.lockedUntil.getTime() > now.getTime();
      if (!account || !account.hash || !passwordOk || account.bannedAt || account.deletedAt || locked) {
        await recordAuditEvent(ctx, {
          action: "session.sign_in",
          outcome: "failure",
          actorUserId: account?.userId ?? null,
          details: { method: "password", ...(locked ? { locked: true } : {}) },
        });
        if (account && !passwordOk && !locked) await countFailure(ctx, account.userId, now);
        throw invalidCredentials();
      }
      // An address nobody has proven (a user let in while verification was off) can't be used to sign in while it is
      // on: the right password earns a fresh link to confirm it, not a session.
      if (!account.emailVerifiedAt && settings.requireEmailVerification) {
        await recordAuditEvent(ctx, { action: "session.sign_in", outcome: "failure", actorUserId: account.userId, details: { method: "password", reason: "email_not_verified" } });
        const budget = await consumeRateLimit(ctx.db, unverifiedSignInMails, `user:${account.userId}`, now);
        if (budget.ok) await sendAddressVerification(ctx, account.userId, input.email);
        throw new ApiError({
          code: "FORBIDDEN",
          reason: "EMAIL_NOT_VERIFIED",
          message: "Confirm your email address first: we emailed you a code and a link.",
        });
      }
      if (needsRehash(account.hash)) {
        await ctx.db
          .update(passwordCredentials)
          .set({ hash: await hashPassword(input.password), updatedAt: now })
          .where(eq(passwordCredentials.userId, account.userId));
      }
      return completeSignIn(ctx, { userId: account.userId, method: "password" });
    }),

  signOut: authedProcedure.allowWithoutMfa().routine().mutation(async ({ ctx }) => {
    // impersonation: signing out of an impersonation session ends it and returns to the admin, like "Stop viewing".
    const { impersonatorUserId } = ctx.session;
    if (impersonatorUserId) {
      const restored = await endImpersonation(ctx, { id: ctx.session.id, impersonatorUserId }, ctx.user.id, "signed_out");
      return { signedOut: true as const, impersonation: { userId: ctx.user.id, restored: restored !== null } };
    }
    await invalidateSession(ctx.db, ctx.session.id);
    await recordAuditEvent(ctx, {
      action: "session.sign_out",
      outcome: "success",
      actorUserId: ctx.user.id,
      actorSessionId: ctx.session.id,
      targetType: "session",
      targetId: ctx.session.id,
    });
    ctx.clearSession();
    return { signedOut: true as const, impersonation: null };
  }),

  /**
   * Confirms it's still the account's owner, so `requireReverification(...)` procedures accept this session for a
   * while: with the password (`{ password }`), or any factor the user has (`{ strategy, code }`, a passkey answer).
   */
  reverify: authedProcedure
    .allowWithoutMfa().sensitive()
    .input(reverifyInputSchema)
    .mutation(async ({ ctx, input }) => {
      await enforceRateLimit(ctx, reverifyPerUser, `user:${ctx.user.id}`);
      const now = ctx.now();
      const checked = await checkReverificationFactor(ctx, ctx.user.id, input);
      const details = { strategy: input.strategy };
      if (!checked.ok) {
        await recordAuditEvent(ctx, { action: "session.reverify", outcome: "failure", actorUserId: ctx.user.id, actorSessionId: ctx.session.id, details });
        if (checked.hasFactor) await countFailure(ctx, ctx.user.id, now);
        if (input.strategy === "password") {
          throw new ApiError({ code: "BAD_REQUEST", reason: "WRONG_PASSWORD", field: "password", message: "password: That password is not right." });
        }
        if (checked.codeFailure) throw codeError(checked.codeFailure);
        if (input.strategy === "passkey") {
          throw new ApiError({ code: "BAD_REQUEST", reason: "PASSKEY_NOT_ACCEPTED", field: "response", message: "response: That passkey could not confirm it's you. Try again." });
        }
        throw new ApiError({ code: "BAD_REQUEST", reason: "INVALID_CODE", field: "code", message: "code: That code is not right." });
      }
      await ctx.db.update(sessions).set({ lastReverifiedAt: now }).where(eq(sessions.id, ctx.session.id));
      await recordAuditEvent(ctx, { action: "session.reverify", outcome: "success", actorUserId: ctx.user.id, actorSessionId: ctx.session.id, details });
      return { reverifiedAt: now };
    }),

  /** The ways the caller can confirm it's them (`/reverify`), best first, and the address an emailed code goes to. */
  reverificationFactors: authedProcedure.allowWithoutMfa().routine().query(async ({ ctx }) => listReverificationFactors(ctx, ctx.user.id)),

  /** Sends a step-up code by email (to the verified primary address) or SMS (to the MFA number). */
  sendReverificationCode: authedProcedure
    .allowWithoutMfa().sensitive()
    .input(z.strictObject({ channel: z.enum(["email", "sms"], "Choose email or sms.") }))
    .mutation(async ({ ctx, input }) => {
      await enforceRateLimit(ctx, reverifyPerUser, `user:${ctx.user.id}`);
      if (input.channel === "sms") {
        const sent = await sendReverificationSmsCode(ctx, ctx.user.id);
        return { channel: input.channel, sentTo: sent.phone, expiresAt: sent.expiresAt };
      }
      const sent = await sendReverificationEmailCode(ctx, ctx.user.id, ctx.session.id);
      return { channel: input.channel, sentTo: sent.email, expiresAt: sent.expiresAt };
    }),

  /** WebAuthn options for stepping up with one of the caller's passkeys (answer with `reverify({ strategy: "passkey" })`). */
  reverificationPasskeyOptions: authedProcedure
    .allowWithoutMfa().sensitive()
    .mutation(async ({ ctx }) => createReverificationPasskeyOptions(ctx, ctx.user.id)),

  /**
   * bot protection: a proof-of-work challenge for the sign-up, sign-in, waitlist and password-reset forms, and a form
   * token for browsers without JavaScript (ADR 027). Both null while bot protection is off. Answer with the solved
   * payload in the `x-latchkey-bot-check` header (API) or the form's `altcha` field (pages).
   */
  botChallenge: publicProcedure.query(({ ctx }) => issueBotCheck(ctx)),

  /** The caller's session and the organization in scope, or null when signed out. */
  session: publicProcedure.query(async ({ ctx }) => {
    const auth = await ctx.getAuth();
    if (!auth) return null;
    return {
      sessionId: auth.session.id,
      userId: auth.user.id,
      expiresAt: auth.session.expiresAt,
      user: auth.user,
      organization: auth.organization,
      orgRoles: auth.membership?.roles ?? [],
      orgPermissions: auth.membership?.permissions ?? [],
      // impersonation: the admin viewing as this user (Clerk's `actor`, the JWT's `act`); null in a normal session.
      actor: auth.session.impersonatorUserId ? { sub: auth.session.impersonatorUserId } : null,
    };
  }),
} satisfies TRPCRouterRecord;
