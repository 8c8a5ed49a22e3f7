/**
 * The caller's sessions, one per signed-in device: list them, sign one out, sign out every other one. Revoking
 * deletes the row (packages/auth/src/session.ts), so the device is signed out on its very next request.
 *
 * `lastActiveAt` moves only when the idle expiry slides, at most once an hour, so validating a session stays a read;
 * "last active" is therefore accurate to the hour, and the page says so.
 */
import type { TRPCRouterRecord } from "@trpc/server";
import { and, desc, eq, gt, ne } from "drizzle-orm";
import { z } from "zod";
import { sessions } from "@latchkey/db";
import { describeUserAgent } from "@latchkey/auth";
import { authedProcedure } from "../trpc.ts";
import { ApiError } from "../errors.ts";
import { recordAuditEvent } from "../audit.ts";
import { idSchema } from "../validation.ts";

export const sessionRouter = {
  /** The caller's live sessions, this one first, then the most recently active. */
  list: authedProcedure.routine().query(async ({ ctx }) => {
    const now = ctx.now();
    const rows = await ctx.db
      .select({
        id: sessions.id,
        userAgent: sessions.userAgent,
        ip: sessions.ip,
        createdAt: sessions.createdAt,
        lastActiveAt: sessions.lastActiveAt,
      })
      .from(sessions)
      .where(and(eq(sessions.userId, ctx.user.id), gt(sessions.expiresAt, now), gt(sessions.idleExpiresAt, now)))
      .orderBy(desc(sessions.lastActiveAt), desc(sessions.createdAt))
      .limit(200);
    const listed = rows.map(({ userAgent, ...row }) => ({
      ...row,
      ...describeUserAgent(userAgent),
      current: row.id === ctx.session.id,
    }));
    return { sessions: [...listed.filter((s) => s.current), ...listed.filter((s) => !s.current)] };
  }),

  /** Signs one of the caller's sessions out; revoking this very session signs the caller out. */
  revoke: authedProcedure
    .sensitive()
    .input(z.object({ sessionId: idSchema("sess") }))
    .mutation(async ({ ctx, input }) => {
      const current = input.sessionId === ctx.session.id;
      const revoked = await ctx.db.transaction(async (tx) => {
        // Scoped to the caller: another user's session id matches nothing and changes nothing.
        const [row] = await tx
          .delete(sessions)
          .where(and(eq(sessions.id, input.sessionId), eq(sessions.userId, ctx.user.id)))
          .returning({ id: sessions.id });
        if (!row) return false;
        await recordAuditEvent(
          ctx,
          {
            action: "session.revoked",
            outcome: "success",
            actorUserId: ctx.user.id,
            actorSessionId: ctx.session.id,
            targetType: "session",
            targetId: row.id,
            details: { current },
          },
          tx,
        );
        return true;
      });
      if (!revoked) {
        await recordAuditEvent(ctx, {
          action: "session.revoked",
          outcome: "failure",
          actorUserId: ctx.user.id,
          actorSessionId: ctx.session.id,
          targetType: "session",
          targetId: input.sessionId,
          details: { reason: "NOT_FOUND" },
        });
        throw new ApiError({ code: "NOT_FOUND", reason: "NOT_FOUND", message: "No such session." });
      }
      if (current) ctx.clearSession();
      return { sessionId: input.sessionId, signedOut: current };
    }),

  /** Signs out every other device of the caller; this session stays. */
  revokeOthers: authedProcedure.sensitive().mutation(async ({ ctx }) => {
    const revoked = await ctx.db.transaction(async (tx) => {
      const rows = await tx
        .delete(sessions)
        .where(and(eq(sessions.userId, ctx.user.id), ne(sessions.id, ctx.session.id)))
        .returning({ id: sessions.id });
      for (const row of rows) {
        await recordAuditEvent(
          ctx,
          {
            action: "session.revoked",
            outcome: "success",
            actorUserId: ctx.user.id,
            actorSessionId: ctx.session.id,
            targetType: "session",
            targetId: row.id,
            details: { current: false, scope: "others" },
          },
          tx,
        );
      }
      return rows.length;
    });
    return { revoked };
  }),
} satisfies TRPCRouterRecord;
