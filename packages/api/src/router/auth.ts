import type { TRPCRouterRecord } from "@trpc/server";
import { eq } from "drizzle-orm";
import { z } from "zod";
import { emailAddresses, isUniqueViolation, passwordCredentials, users } from "@latchkey/db";
import {
  checkPasswordPolicy,
  createSession,
  hashPassword,
  invalidateSession,
  needsRehash,
  verifyPasswordOrDummy,
} from "@latchkey/auth";
import { authedProcedure, publicProcedure } from "../trpc.ts";
import { ApiError, fieldError } from "../errors.ts";
import { recordAuditEvent } from "../audit.ts";
import { emailSchema, passwordSchema, personNameSchema } from "../validation.ts";

const invalidCredentials = () =>
  new ApiError({ code: "UNAUTHORIZED", reason: "INVALID_CREDENTIALS", message: "Email address or password is incorrect." });

export const authRouter = {
  signUp: publicProcedure
    .input(
      z.object({
        email: emailSchema,
        password: passwordSchema,
        firstName: personNameSchema.optional(),
        lastName: personNameSchema.optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const policy = checkPasswordPolicy(input.password);
      if (!policy.ok) throw fieldError("password", policy.message, policy.code);
      const hash = await hashPassword(input.password);
      const now = ctx.now();
      let created;
      try {
        created = await ctx.db.transaction(async (tx) => {
          const [user] = await tx
            .insert(users)
            .values({
              firstName: input.firstName || null,
              lastName: input.lastName || null,
              lastSignInAt: now,
              createdAt: now,
              updatedAt: now,
            })
            .returning({ id: users.id });
          const userId = user!.id;
          await tx.insert(emailAddresses).values({ userId, email: input.email, isPrimary: true, createdAt: now });
          await tx.insert(passwordCredentials).values({ userId, hash, createdAt: now, updatedAt: now });
          const { session, token } = await createSession(tx, {
            userId,
            ip: ctx.ip,
            userAgent: ctx.userAgent,
            now,
            policy: ctx.sessionPolicy,
          });
          await recordAuditEvent(ctx, { action: "user.signed_up", outcome: "success", actorUserId: userId, actorSessionId: session.id, targetType: "user", targetId: userId }, tx);
          return { userId, session, token };
        });
      } catch (error) {
        // Until email verification lands, a taken address is reported on the field (see the Email identity issue).
        if (isUniqueViolation(error)) {
          throw new ApiError({ code: "CONFLICT", reason: "EMAIL_TAKEN", field: "email", message: "email: That email address can't be used. Try signing in." });
        }
        throw error;
      }
      ctx.setSessionCookie(created.token, created.session.expiresAt);
      return { userId: created.userId, sessionId: created.session.id };
    }),

  signIn: publicProcedure
    .input(z.object({ email: emailSchema, password: passwordSchema }))
    .mutation(async ({ ctx, input }) => {
      const [account] = await ctx.db
        .select({
          userId: users.id,
          hash: passwordCredentials.hash,
          bannedAt: users.bannedAt,
          deletedAt: users.deletedAt,
        })
        .from(emailAddresses)
        .innerJoin(users, eq(users.id, emailAddresses.userId))
        .leftJoin(passwordCredentials, eq(passwordCredentials.userId, users.id))
        .where(eq(emailAddresses.email, input.email))
        .limit(1);
      // Unknown addresses still cost one argon2 verify, so timing does not tell whether an account exists.
      const passwordOk = await verifyPasswordOrDummy(account?.hash ?? null, input.password);
      if (!account || !account.hash || !passwordOk || account.bannedAt || account.deletedAt) {
        await recordAuditEvent(ctx, {
          action: "session.sign_in",
          outcome: "failure",
          actorUserId: account?.userId ?? null,
          details: { method: "password" },
        });
        throw invalidCredentials();
      }
      const now = ctx.now();
      const previous = await ctx.getAuth();
      if (previous) await invalidateSession(ctx.db, previous.session.id);
      if (needsRehash(account.hash)) {
        await ctx.db
          .update(passwordCredentials)
          .set({ hash: await hashPassword(input.password), updatedAt: now })
          .where(eq(passwordCredentials.userId, account.userId));
      }
      const { session, token } = await createSession(ctx.db, {
        userId: account.userId,
        ip: ctx.ip,
        userAgent: ctx.userAgent,
        now,
        policy: ctx.sessionPolicy,
      });
      await ctx.db.update(users).set({ lastSignInAt: now }).where(eq(users.id, account.userId));
      await recordAuditEvent(ctx, {
        action: "session.sign_in",
        outcome: "success",
        actorUserId: account.userId,
        actorSessionId: session.id,
        targetType: "session",
        targetId: session.id,
        details: { method: "password" },
      });
      ctx.setSessionCookie(token, session.expiresAt);
      return { userId: account.userId, sessionId: session.id };
    }),

  signOut: authedProcedure.mutation(async ({ ctx }) => {
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
    return { signedOut: true as const };
  }),

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
    };
  }),
} satisfies TRPCRouterRecord;
