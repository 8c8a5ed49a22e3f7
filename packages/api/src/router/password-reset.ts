/**
 * Password reset (SECURITY.md): the request answers the same whether or not the address exists; the emailed link is a
 * one-shot 192-bit token valid for 1 hour, and a newer request kills the older; the new password follows the policy;
 * a reset ends every session of the account and never signs anyone in (so a second factor, once it exists, is never
 * skipped).
 */
import type { TRPCRouterRecord } from "@trpc/server";
import { and, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import { emailAddresses, passwordCredentials, users } from "@latchkey/db";
import {
  checkPasswordPolicy,
  consumeToken,
  createVerification,
  defineRateLimit,
  hashPassword,
  HOUR,
  invalidateUserSessions,
  MINUTE,
} from "@latchkey/auth";
import { ApiError, fieldError } from "../errors.ts";
import { logMailFailure } from "../mail/index.ts";
import { enforceRateLimit } from "../rate-limits.ts";
import { limitsOf, requireHuman } from "../bot-protection.ts";
import { getInstanceSettings } from "../instance-settings.ts";
import { recordAuditEvent } from "../audit.ts";
import { publicProcedure } from "../trpc.ts";
import { emailSchema, passwordSchema } from "../validation.ts";

const RESET_TTL_MS = HOUR;
const requestsPerIp = defineRateLimit("password-reset:ip", 10, 15 * MINUTE);
const requestsPerEmail = defineRateLimit("password-reset:email", 3, 15 * MINUTE);
const resetsPerIp = defineRateLimit("password-reset-confirm:ip", 20, 15 * MINUTE);

const tokenSchema = z.string().trim().min(1, "The link is incomplete.").max(200, "The link is not valid.");

export const passwordResetRouter = {
  /** Emails a reset link when the address belongs to an account; answers the same either way. */
  request: publicProcedure
    .input(z.object({ email: emailSchema }))
    .mutation(async ({ ctx, input }) => {
      await requireHuman(ctx, { flow: "password_reset", limits: limitsOf(ctx, [requestsPerIp, requestsPerEmail], input.email) });
      if (ctx.ip) await enforceRateLimit(ctx, requestsPerIp, `ip:${ctx.ip}`);
      await enforceRateLimit(ctx, requestsPerEmail, `email:${input.email}`);
      const [account] = await ctx.db
        .select({ userId: users.id, locale: users.locale, deletedAt: users.deletedAt })
        .from(emailAddresses)
        .innerJoin(users, eq(users.id, emailAddresses.userId))
        .where(eq(emailAddresses.email, input.email))
        .limit(1);
      if (account && !account.deletedAt) {
        const { token } = await createVerification(ctx.db, {
          purpose: "password_reset",
          target: input.email,
          userId: account.userId,
          ttlMs: RESET_TTL_MS,
          link: true,
          now: ctx.now(),
        });
        const link = `${ctx.appUrl}/reset-password?token=${encodeURIComponent(token!)}`;
        await ctx.mailer
          .sendPasswordReset({ to: input.email, locale: account.locale, link })
          .catch(logMailFailure("password reset"));
        await recordAuditEvent(ctx, { action: "user.password_reset_requested", outcome: "success", targetType: "user", targetId: account.userId });
      } else {
        // Recorded without the address: the log should show the attempt, not collect addresses people typed.
        await recordAuditEvent(ctx, { action: "user.password_reset_requested", outcome: "failure", details: { reason: "no_account" } });
      }
      return { sent: true as const };
    }),

  /** Sets a new password with the emailed token, once; every session of the account ends. */
  confirm: publicProcedure
    .input(z.object({ token: tokenSchema, password: passwordSchema }))
    .mutation(async ({ ctx, input }) => {
      if (ctx.ip) await enforceRateLimit(ctx, resetsPerIp, `ip:${ctx.ip}`);
      const rules = checkPasswordPolicy(input.password, { minLength: (await getInstanceSettings(ctx.db)).minPasswordLength });
      if (!rules.ok) throw fieldError("password", rules.message, rules.code);
      // Hash first: the token is spent only when everything else is ready.
      const hash = await hashPassword(input.password);
      const now = ctx.now();
      // The password, the sessions and the address change in the token's transaction: spent once, with its effect.
      const result = await consumeToken(ctx.db, { purpose: "password_reset", token: input.token, now }, async (tx, { userId, target }) => {
        if (!userId) return false;
        await tx
          .insert(passwordCredentials)
          .values({ userId, hash, createdAt: now, updatedAt: now })
          .onConflictDoUpdate({ target: passwordCredentials.userId, set: { hash, updatedAt: now } });
        // The reset proves control of the address; an earlier lockout should not outlive it.
        await tx.update(users).set({ lockedUntil: null, updatedAt: now }).where(eq(users.id, userId));
        await invalidateUserSessions(tx, userId);
        await recordAuditEvent(ctx, { action: "user.password_reset", outcome: "success", targetType: "user", targetId: userId }, tx);
        // A verified address: whoever reset through it controls it.
        await tx
          .update(emailAddresses)
          .set({ verifiedAt: now })
          .where(and(eq(emailAddresses.userId, userId), eq(emailAddresses.email, target), isNull(emailAddresses.verifiedAt)));
        return true;
      });
      if (!result.ok || !result.value) {
        await recordAuditEvent(ctx, { action: "user.password_reset", outcome: "failure", details: { reason: result.ok ? "no_user" : result.reason } });
        throw new ApiError({
          code: "BAD_REQUEST",
          reason: result.ok ? "INVALID_TOKEN" : result.reason === "expired" ? "EXPIRED_TOKEN" : "INVALID_TOKEN",
          field: "token",
          message: "token: This reset link is not valid any more. Ask for a new one.",
        });
      }
      return { reset: true as const };
    }),
} satisfies TRPCRouterRecord;
