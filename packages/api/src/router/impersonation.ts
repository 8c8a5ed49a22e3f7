/**
 * Impersonation: an instance admin views the app as a user, in a short-lived, audited session.
 *
 * - `start({ userId, reason })` creates a session for the user carrying `impersonator_user_id` (the admin), with a
 *   fixed short lifetime (IMPERSONATION_LIFETIME_MINUTES), audits `impersonation.started` with the reason, and switches
 *   the browser to it; the admin's own session token waits in the impersonator cookie (context.ts).
 * - While it lasts, `authed` refuses the sensitive procedures of impersonation-policy.ts, session JWTs carry
 *   `act: { sub: <admin> }`, and every audit event names the admin (`details.impersonatorUserId`).
 * - `stop()` (and `auth.signOut` in such a session) deletes it, audits `impersonation.ended` and returns the browser
 *   to the admin's session when that is still valid, else signs out.
 *
 * See docs/decisions/015-impersonation-sessions.md.
 */
import type { TRPCRouterRecord } from "@trpc/server";
import { and, eq } from "drizzle-orm";
import { z } from "zod";
import { emailAddresses, users, type Database } from "@latchkey/db";
import {
  createSession,
  invalidateSession,
  type SessionPolicy,
} from "@latchkey/auth";
import type { Context } from "../context.ts";
import { authedProcedure, instanceAdminProcedure } from "../trpc.ts";
import { ApiError } from "../errors.ts";
import { recordAuditEvent } from "../audit.ts";
import { idSchema } from "../validation.ts";

/**
 * An impersonation session ends this long after it started, however active. Idle and absolute limits are the same:
 * the idle expiry slides at most once an hour (the touch interval), so a shorter idle limit would only be a shorter
 * hard limit. Shortened instance lifetimes still cap it (the auth lookup applies them to every session).
 */
export const IMPERSONATION_LIFETIME_MINUTES = 60;

export const impersonationSessionPolicy: SessionPolicy = {
  absoluteMs: IMPERSONATION_LIFETIME_MINUTES * 60_000,
  idleMs: IMPERSONATION_LIFETIME_MINUTES * 60_000,
  touchIntervalMs: 60 * 60_000,
};

export const REASON_MIN = 3;
export const REASON_MAX = 500;

const startInput = z.object({
  userId: idSchema("user"),
  reason: z
    .string({ error: "Say why you are viewing as this user." })
    .trim()
    .min(
      REASON_MIN,
      `Say why you are viewing as this user (at least ${REASON_MIN} characters).`,
    )
    .max(REASON_MAX, `Keep the reason under ${REASON_MAX} characters.`),
});

/** Why a user can't be impersonated by this admin, or null when they can. */
export type ImpersonationRefusal =
  "self" | "instance_admin" | "banned" | "locked";

const refusalMessages: Record<ImpersonationRefusal, string> = {
  self: "You can't view the app as yourself.",
  instance_admin: "Instance administrators can't be impersonated.",
  banned: "This user is banned: unban them first.",
  locked: "This user is locked: unlock them first.",
};

interface Person {
  id: string;
  name: string | null;
  email: string | null;
  imageUrl: string | null;
}

async function loadPeople(db: Database, ids: string[]) {
  // One at a time: inside a transaction PGlite has a single connection.
  const rows = [];
  for (const id of ids) {
    const [row] = await db
      .select({
        id: users.id,
        firstName: users.firstName,
        lastName: users.lastName,
        username: users.username,
        imageUrl: users.imageUrl,
        isInstanceAdmin: users.isInstanceAdmin,
        bannedAt: users.bannedAt,
        lockedUntil: users.lockedUntil,
        deletedAt: users.deletedAt,
        email: emailAddresses.email,
      })
      .from(users)
      .leftJoin(
        emailAddresses,
        and(
          eq(emailAddresses.userId, users.id),
          eq(emailAddresses.isPrimary, true),
        ),
      )
      .where(eq(users.id, id))
      .limit(1);
    rows.push(row ?? null);
  }
  return rows;
}

type UserRow = NonNullable<Awaited<ReturnType<typeof loadPeople>>[number]>;

function personOf(row: UserRow): Person {
  const name =
    [row.firstName, row.lastName].filter(Boolean).join(" ") ||
    row.username ||
    null;
  return { id: row.id, name, email: row.email, imageUrl: row.imageUrl };
}

function refusalFor(
  row: UserRow,
  adminId: string,
  now: Date,
): ImpersonationRefusal | null {
  if (row.id === adminId) return "self";
  if (row.isInstanceAdmin) return "instance_admin";
  if (row.bannedAt) return "banned";
  if (row.lockedUntil && row.lockedUntil.getTime() > now.getTime())
    return "locked";
  return null;
}

function notFound(): ApiError {
  return new ApiError({
    code: "NOT_FOUND",
    reason: "NOT_FOUND",
    field: "userId",
    message: "userId: No such user.",
  });
}

/**
 * Ends the caller's impersonation session: deletes it, audits `impersonation.ended`, and returns the browser to the
 * admin's own session if it is still valid (its auth), else signs out (null). Used by `stop` and `auth.signOut`.
 */
export async function endImpersonation(
  ctx: Context,
  session: { id: string; impersonatorUserId: string },
  userId: string,
  how: "stopped" | "signed_out",
) {
  await ctx.db.transaction(async (tx) => {
    await invalidateSession(tx, session.id);
    await recordAuditEvent(
      ctx,
      {
        action: "impersonation.ended",
        outcome: "success",
        actorUserId: session.impersonatorUserId,
        actorSessionId: session.id,
        targetType: "user",
        targetId: userId,
        details: { how, impersonationSessionId: session.id },
      },
      tx,
    );
  });
  return ctx.endImpersonation();
}

export const impersonationRouter = {
  /** The user an admin is about to view as, and why they can't be when that is so (the impersonate page). */
  target: instanceAdminProcedure
    .input(z.object({ userId: idSchema("user") }))
    .query(async ({ ctx, input }) => {
      const [row] = await loadPeople(ctx.db, [input.userId]);
      if (!row || row.deletedAt) throw notFound();
      return {
        user: personOf(row),
        refusal: refusalFor(row, ctx.user.id, ctx.now()),
        lifetimeMinutes: IMPERSONATION_LIFETIME_MINUTES,
      };
    }),

  /** Starts viewing as a user: a short-lived session with the admin recorded on it; the browser switches to it. */
  start: instanceAdminProcedure
    .input(startInput)
    .mutation(async ({ ctx, input }) => {
      const now = ctx.now();
      const outcome = await ctx.db.transaction(async (tx) => {
        const [row] = await loadPeople(tx, [input.userId]);
        if (!row || row.deletedAt) return { refused: "not_found" as const };
        const refusal = refusalFor(row, ctx.user.id, now);
        if (refusal) return { refused: refusal };
        const { session, token } = await createSession(tx, {
          userId: row.id,
          ip: ctx.ip,
          userAgent: ctx.userAgent,
          now,
          policy: impersonationSessionPolicy,
          impersonatorUserId: ctx.user.id,
        });
        await recordAuditEvent(
          ctx,
          {
            action: "impersonation.started",
            outcome: "success",
            actorUserId: ctx.user.id,
            actorSessionId: ctx.session.id,
            targetType: "user",
            targetId: row.id,
            details: {
              reason: input.reason,
              impersonationSessionId: session.id,
              expiresAt: session.expiresAt.toISOString(),
            },
          },
          tx,
        );
        return { refused: null, session, token, user: personOf(row) };
      });
      if (outcome.refused) {
        await recordAuditEvent(ctx, {
          action: "impersonation.started",
          outcome: "failure",
          actorUserId: ctx.user.id,
          actorSessionId: ctx.session.id,
          targetType: "user",
          targetId: input.userId,
          details: { reason: input.reason, refused: outcome.refused },
        });
        if (outcome.refused === "not_found") throw notFound();
        throw new ApiError({
          code: "FORBIDDEN",
          reason: "IMPERSONATION_NOT_ALLOWED",
          field: "userId",
          message: refusalMessages[outcome.refused],
        });
      }
      ctx.beginImpersonation(outcome.token, outcome.session.expiresAt);
      return {
        user: outcome.user,
        sessionId: outcome.session.id,
        expiresAt: outcome.session.expiresAt,
      };
    }),

  /** Stops viewing as the user: back to the admin's own session when it is still valid, else signed out. */
  stop: authedProcedure.allowWithoutMfa().routine().mutation(async ({ ctx }) => {
    const { impersonatorUserId } = ctx.session;
    if (!impersonatorUserId)
      return { stopped: false as const, userId: null, restored: false };
    const restored = await endImpersonation(
      ctx,
      { id: ctx.session.id, impersonatorUserId },
      ctx.user.id,
      "stopped",
    );
    return {
      stopped: true as const,
      userId: ctx.user.id,
      restored: restored !== null,
    };
  }),

  /** Who is being viewed and by whom, when this session is an impersonation; null otherwise (no query then). */
  status: authedProcedure.allowWithoutMfa().routine().query(async ({ ctx }) => {
    const { impersonatorUserId } = ctx.session;
    if (!impersonatorUserId) return null;
    const [user, impersonator] = await loadPeople(ctx.db, [
      ctx.user.id,
      impersonatorUserId,
    ]);
    return {
      user: user
        ? personOf(user)
        : {
            id: ctx.user.id,
            name: null,
            email: ctx.user.primaryEmail,
            imageUrl: null,
          },
      impersonator: impersonator
        ? personOf(impersonator)
        : { id: impersonatorUserId, name: null, email: null, imageUrl: null },
      expiresAt: ctx.session.expiresAt,
    };
  }),
} satisfies TRPCRouterRecord;
