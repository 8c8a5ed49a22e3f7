/**
 * Passwordless sign-in: a 6-digit code (10 minutes, 5 attempts) or a one-shot magic link (15 minutes) sent to the
 * address. A right code or link proves control of the address, so it also marks the address verified.
 *
 * Nothing tells whether an address has an account. Both requests answer `{ sent: true }` and do the same database
 * work either way: an address without a usable account still gets a verification, bound to no user and never sent,
 * so checks against it meet the same attempt cap, expiry and answers as a real one. Only the email itself differs,
 * and it is handed to the mailer without waiting, so delivery time does not show in the response time. A banned,
 * deleted or locked account gets the same answer as a wrong code.
 *
 * Limits (Postgres fixed windows; 429 with Retry-After):
 *   requestCode, requestLink   10 per IP per 15 min, 5 per address per hour (each: they send email)
 *   verifyCode                 30 per IP per 15 min, 10 per address per 15 min (and 5 attempts per code)
 *   confirmLink                30 per IP per 15 min (a link holds 192 random bits: guessing is hopeless, flooding is not)
 */
import type { TRPCRouterRecord } from "@trpc/server";
import { and, eq, isNotNull, isNull, ne } from "drizzle-orm";
import { z } from "zod";
import { emailAddresses, passwordCredentials, users, type Verification } from "@latchkey/db";
import {
  consumeToken,
  createVerification,
  defineRateLimit,
  getSafeRedirect,
  HOUR,
  invalidateUserSessions,
  MINUTE,
  verifyCode,
} from "@latchkey/auth";
import type { Context } from "../context.ts";
import { ApiError } from "../errors.ts";
import { logMailFailure } from "../mail/index.ts";
import { codeError } from "../verification-errors.ts";
import { enforceRateLimit } from "../rate-limits.ts";
import { recordAuditEvent } from "../audit.ts";
import { completeSignIn, type SignInMethod } from "../sign-in.ts";
import { requireAllowedSignInAddress, requireSignInMethod } from "../sign-in-policy.ts";
import { publicProcedure } from "../trpc.ts";
import { emailSchema } from "../validation.ts";
import { limitsOf, requireHuman } from "../bot-protection.ts";
import { testModeCode } from "../test-mode.ts";

const CODE_TTL_MS = 10 * MINUTE;
const LINK_TTL_MS = 15 * MINUTE;

const codeRequestsPerIp = defineRateLimit("passwordless-code:ip", 10, 15 * MINUTE);
const codeRequestsPerEmail = defineRateLimit("passwordless-code:email", 5, HOUR);
const linkRequestsPerIp = defineRateLimit("passwordless-link:ip", 10, 15 * MINUTE);
const linkRequestsPerEmail = defineRateLimit("passwordless-link:email", 5, HOUR);
const codeChecksPerIp = defineRateLimit("passwordless-verify:ip", 30, 15 * MINUTE);
const codeChecksPerEmail = defineRateLimit("passwordless-verify:email", 10, 15 * MINUTE);
const linkConfirmsPerIp = defineRateLimit("passwordless-confirm:ip", 30, 15 * MINUTE);

/** Digits as typed or pasted: spaces and hyphens ("123 456") are ignored. */
const codeSchema = z
  .string()
  .max(32, "Enter the 6-digit code from the email.")
  .transform((value) => value.replace(/[\s-]/g, ""))
  .pipe(z.string().regex(/^\d{6}$/, "Enter the 6-digit code from the email."));
const tokenSchema = z.string().trim().min(1, "The link is incomplete.").max(200, "The link is not valid.");
/** Checked with `getSafeRedirect` where it is used; only its size is bounded here. */
const redirectUrlSchema = z.string().max(2048, "The return address is too long.");

function linkError(failure: "invalid" | "expired"): ApiError {
  return failure === "expired"
    ? new ApiError({ code: "BAD_REQUEST", reason: "EXPIRED_TOKEN", field: "token", message: "token: This sign-in link has expired. Ask for a new one." })
    : new ApiError({ code: "BAD_REQUEST", reason: "INVALID_TOKEN", field: "token", message: "token: This sign-in link is not valid any more. Ask for a new one." });
}

interface Account {
  userId: string;
  locale: string | null;
  bannedAt: Date | null;
  deletedAt: Date | null;
  lockedUntil: Date | null;
}

/** The account an address belongs to, whatever its state. */
async function findAccount(ctx: Context, email: string): Promise<Account | null> {
  const [account] = await ctx.db
    .select({ userId: users.id, locale: users.locale, bannedAt: users.bannedAt, deletedAt: users.deletedAt, lockedUntil: users.lockedUntil })
    .from(emailAddresses)
    .innerJoin(users, eq(users.id, emailAddresses.userId))
    .where(eq(emailAddresses.email, email))
    .limit(1);
  return account ?? null;
}

/** Why this account may not sign in now, or null when it may. */
function refusal(account: Account, now: Date): "banned" | "deleted" | "locked" | null {
  if (account.deletedAt) return "deleted";
  if (account.bannedAt) return "banned";
  if (account.lockedUntil && account.lockedUntil.getTime() > now.getTime()) return "locked";
  return null;
}

/**
 * Starts a code or link for the address — for a usable account bound to it, else bound to no one — and records the
 * request. The caller sends the email only for a usable account.
 */
async function startVerification(ctx: Context, email: string, kind: "code" | "link") {
  const found = await findAccount(ctx, email);
  const account = found && !found.deletedAt && !found.bannedAt ? found : null;
  const created = await createVerification(ctx.db, {
    purpose: kind === "code" ? "sign_in_code" : "magic_link",
    target: email,
    userId: account?.userId ?? null,
    ttlMs: kind === "code" ? CODE_TTL_MS : LINK_TTL_MS,
    ...(kind === "code" ? { code: true, ...(await testModeCode(ctx.db, email)) } : { link: true }),
    now: ctx.now(),
  });
  await recordAuditEvent(ctx, {
    action: kind === "code" ? "user.sign_in_code_requested" : "user.magic_link_requested",
    outcome: account ? "success" : "failure",
    targetType: account ? "user" : null,
    targetId: account?.userId ?? null,
    ...(account ? {} : { details: { reason: "no_usable_account" } }),
  });
  return { account, code: created.code, token: created.token };
}

/** Hands an email over without waiting for delivery (see the file comment); a failure is logged, never answered. */
function deliver(what: string, sending: Promise<void>): void {
  sending.catch(logMailFailure(what));
}

/**
 * After a right code or link: the verification must still name the account that owns the address, and that account
 * must be allowed to sign in. Returns the user id, or records the refusal and returns null.
 */
/**
 * The part of a passwordless sign-in that shares the code's transaction (`ctx.db` is that transaction): the account
 * the code was made for must still be usable, and its address is proven. The session is issued after it commits, by
 * the one submission that spent the code.
 */
async function proveSignIn(ctx: Context, verification: Verification, method: SignInMethod): Promise<string | null> {
  const userId = await requireSignInAccount(ctx, verification, method);
  if (userId) await markAddressVerified(ctx, userId, verification.target);
  return userId;
}

async function requireSignInAccount(ctx: Context, verification: Verification, method: SignInMethod): Promise<string | null> {
  const account = await findAccount(ctx, verification.target);
  const why = !account || account.userId !== verification.userId ? "no_usable_account" : refusal(account, ctx.now());
  if (why) {
    await recordFailure(ctx, method, account?.userId ?? null, why);
    return null;
  }
  return account!.userId;
}

async function recordFailure(ctx: Context, method: SignInMethod, userId: string | null, reason: string): Promise<void> {
  await recordAuditEvent(ctx, { action: "session.sign_in", outcome: "failure", actorUserId: userId, details: { method, reason } });
}

/**
 * Receiving the code or link at this address proves control of it. When it is the first address of the account ever
 * proven (possible only for users let in unverified, ADR 005), whoever set the password and holds sessions may not
 * be this person — the pre-account-hijacking pattern — so the password and every session end here.
 */
async function markAddressVerified(ctx: Context, userId: string, email: string): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const proven = await tx
      .update(emailAddresses)
      .set({ verifiedAt: ctx.now() })
      .where(and(eq(emailAddresses.userId, userId), eq(emailAddresses.email, email), isNull(emailAddresses.verifiedAt)))
      .returning({ id: emailAddresses.id });
    if (proven.length === 0) return;
    const [earlier] = await tx
      .select({ id: emailAddresses.id })
      .from(emailAddresses)
      .where(and(eq(emailAddresses.userId, userId), isNotNull(emailAddresses.verifiedAt), ne(emailAddresses.id, proven[0]!.id)))
      .limit(1);
    if (earlier) return;
    const removed = await tx.delete(passwordCredentials).where(eq(passwordCredentials.userId, userId)).returning({ userId: passwordCredentials.userId });
    await invalidateUserSessions(tx, userId);
    await recordAuditEvent(
      ctx,
      { action: "user.first_address_proven", outcome: "success", actorUserId: userId, targetType: "user", targetId: userId, details: { passwordRemoved: removed.length > 0, sessionsEnded: true } },
      tx,
    );
  });
}

export const passwordlessRouter = {
  /** Emails a sign-in code when the address belongs to a usable account; answers the same either way. */
  requestCode: publicProcedure
    .input(z.strictObject({ email: emailSchema }))
    .mutation(async ({ ctx, input }) => {
      await requireHuman(ctx, { flow: "sign_in", limits: limitsOf(ctx, [codeRequestsPerIp, codeRequestsPerEmail], input.email) });
      if (ctx.ip) await enforceRateLimit(ctx, codeRequestsPerIp, `ip:${ctx.ip}`);
      await enforceRateLimit(ctx, codeRequestsPerEmail, `email:${input.email}`);
      await requireAllowedSignInAddress(ctx, "email_code", input.email, await requireSignInMethod(ctx, "email_code"));
      const { account, code } = await startVerification(ctx, input.email, "code");
      if (account) deliver("sign-in code", ctx.mailer.sendSignInCode({ to: input.email, locale: account.locale, code: code! }));
      return { sent: true as const };
    }),

  /** Signs in with the emailed code; every failure is on the `code` field and says nothing about the account. */
  verifyCode: publicProcedure
    .input(z.strictObject({ email: emailSchema, code: codeSchema }))
    .mutation(async ({ ctx, input }) => {
      if (ctx.ip) await enforceRateLimit(ctx, codeChecksPerIp, `ip:${ctx.ip}`);
      await enforceRateLimit(ctx, codeChecksPerEmail, `email:${input.email}`);
      await requireAllowedSignInAddress(ctx, "email_code", input.email, await requireSignInMethod(ctx, "email_code"));
      const result = await verifyCode(ctx.db, { purpose: "sign_in_code", target: input.email, code: input.code, now: ctx.now() }, (tx, verification) =>
        proveSignIn({ ...ctx, db: tx }, verification, "email_code"),
      );
      if (!result.ok) {
        await recordFailure(ctx, "email_code", (await findAccount(ctx, input.email))?.userId ?? null, result.reason);
        throw codeError(result.reason);
      }
      if (!result.value) throw codeError("invalid");
      return completeSignIn(ctx, { userId: result.value, method: "email_code" });
    }),

  /** Emails a one-shot sign-in link (back to `redirectUrl` when it is a path on this site); answers the same either way. */
  requestLink: publicProcedure
    .input(z.strictObject({ email: emailSchema, redirectUrl: redirectUrlSchema.optional() }))
    .mutation(async ({ ctx, input }) => {
      await requireHuman(ctx, { flow: "sign_in", limits: limitsOf(ctx, [linkRequestsPerIp, linkRequestsPerEmail], input.email) });
      if (ctx.ip) await enforceRateLimit(ctx, linkRequestsPerIp, `ip:${ctx.ip}`);
      await enforceRateLimit(ctx, linkRequestsPerEmail, `email:${input.email}`);
      await requireAllowedSignInAddress(ctx, "magic_link", input.email, await requireSignInMethod(ctx, "magic_link"));
      const { account, token } = await startVerification(ctx, input.email, "link");
      if (account) {
        const redirectUrl = getSafeRedirect(input.redirectUrl, "/");
        const back = redirectUrl === "/" ? "" : `&redirect_url=${encodeURIComponent(redirectUrl)}`;
        const link = `${ctx.appUrl}/sign-in/link?token=${encodeURIComponent(token!)}${back}`;
        deliver("magic link", ctx.mailer.sendMagicLink({ to: input.email, locale: account.locale, link }));
      }
      return { sent: true as const };
    }),

  /** Uses the emailed link once and signs in. */
  confirmLink: publicProcedure
    .input(z.strictObject({ token: tokenSchema }))
    .mutation(async ({ ctx, input }) => {
      if (ctx.ip) await enforceRateLimit(ctx, linkConfirmsPerIp, `ip:${ctx.ip}`);
      // Refused before the link is spent: turned back on, the same link still works while it is valid.
      const settings = await requireSignInMethod(ctx, "magic_link");
      const result = await consumeToken(ctx.db, { purpose: "magic_link", token: input.token, now: ctx.now() }, async (tx, verification) => {
        const txCtx = { ...ctx, db: tx };
        try {
          await requireAllowedSignInAddress(txCtx, "magic_link", verification.target, settings);
        } catch (error) {
          // Refused by the address lists: the link is spent and the refusal audited (both commit), then it is thrown.
          if (error instanceof ApiError) return { refused: error };
          throw error;
        }
        return { userId: await proveSignIn(txCtx, verification, "magic_link") };
      });
      if (!result.ok) {
        await recordFailure(ctx, "magic_link", null, result.reason);
        throw linkError(result.reason === "expired" ? "expired" : "invalid");
      }
      if ("refused" in result.value) throw result.value.refused;
      if (!result.value.userId) throw linkError("invalid");
      return completeSignIn(ctx, { userId: result.value.userId, method: "magic_link" });
    }),
} satisfies TRPCRouterRecord;
