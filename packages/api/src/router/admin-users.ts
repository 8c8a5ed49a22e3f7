/**
 * Admin console: users — list, search, filters, detail, create, ban, lock, delete, export (instance admins only).
 *
 * Every write is audited with the admin as actor and the user as target. Decisions (docs/decisions/015-users-…):
 * - A ban sets `banned_at` and deletes the user's sessions; the auth lookup refuses a banned user anyway, so even a
 *   session that survived would end on its very next request. Unban lets them sign in again (no session comes back).
 * - An admin lock (`locked_until`) blocks sign-in until it passes, like Clerk, and also ends the user's sessions: an
 *   admin locks an account they suspect is in the wrong hands, and a lock that left that session alive would not help.
 *   (The automatic lockout after failed passwords leaves sessions alone: the owner may be the one signed in.)
 * - An admin may not ban, lock or delete themselves (CANNOT_TARGET_SELF), so the console can't lock out its last admin
 *   by accident.
 * - Delete matches the user's own `user.delete`: refused while they are the last admin of an organization with other
 *   members (LAST_ADMIN: make someone else admin first); organizations where they are the only member go with them.
 */
import type { TRPCRouterRecord } from "@trpc/server";
import { and, asc, desc, eq, gt, isNull, or, sql } from "drizzle-orm";
import { z } from "zod";
import {
  auditEvents,
  backupCodes,
  emailAddresses,
  memberships,
  oauthAccounts,
  organizations,
  passkeys,
  passwordCredentials,
  phoneNumbers,
  sessions,
  totpFactors,
  users,
  type Database,
} from "@latchkey/db";
import { checkPasswordPolicy, describeUserAgent, hashPassword, resetRateLimit } from "@latchkey/auth";
import { instanceAdminProcedure } from "../trpc.ts";
import { ApiError, fieldError } from "../errors.ts";
import { recordAuditEvent } from "../audit.ts";
import type { Context } from "../context.ts";
import { emailSchema, idSchema, personNameSchema } from "../validation.ts";
import { getInstanceSettings } from "../instance-settings.ts";
import { metadataPatchSchema, writeMetadata } from "../metadata.ts";
import { signInFailures } from "../sign-in.ts";
import { decodeUserCursor, listUsers, userListFilters, userListSorts } from "../admin-user-list.ts";
import { deleteAccount } from "./account.ts";

type AdminCtx = Context & { user: { id: string }; session: { id: string } };

const userIdSchema = idSchema("user");
const usernameSchema = z
  .string()
  .trim()
  .min(3, "At least 3 characters.")
  .max(32, "At most 32 characters.")
  .regex(/^[a-zA-Z0-9_.-]+$/, "Use letters, digits, dots, hyphens and underscores.");

/** An empty form field means "not given". */
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (typeof value === "string" && value.trim() === "" ? undefined : value), schema.optional());

export const USER_LOCK_DEFAULT_MINUTES = 60;
/** A year at most: longer than that is a ban. */
export const USER_LOCK_MAX_MINUTES = 525_600;
const AUDIT_TRAIL_LIMIT = 50;

async function audit(ctx: AdminCtx, db: Database, action: string, userId: string, details: Record<string, unknown> = {}, targetType = "user", targetId = userId) {
  await recordAuditEvent(ctx, { action, outcome: "success", actorUserId: ctx.user.id, actorSessionId: ctx.session.id, targetType, targetId, details: { userId, ...details } }, db);
}

const notFound = () => new ApiError({ code: "NOT_FOUND", reason: "NOT_FOUND", message: "No such user." });
const notYourself = (what: string) => new ApiError({ code: "CONFLICT", reason: "CANNOT_TARGET_SELF", message: `You can't ${what} yourself.` });

/** The (not deleted) user, locked for the change; NOT_FOUND otherwise. */
async function lockUser(tx: Database, userId: string) {
  const [row] = await tx
    .select({ id: users.id, bannedAt: users.bannedAt, lockedUntil: users.lockedUntil, isInstanceAdmin: users.isInstanceAdmin })
    .from(users)
    .where(and(eq(users.id, userId), isNull(users.deletedAt)))
    .for("update");
  if (!row) throw notFound();
  return row;
}

async function endSessions(tx: Database, userId: string): Promise<string[]> {
  const ended = await tx.delete(sessions).where(eq(sessions.userId, userId)).returning({ id: sessions.id });
  return ended.map((s) => s.id);
}

/** The user's latest audit events, as actor or as target (two index-ordered reads, merged). */
async function auditTrail(db: Database, userId: string, limit = AUDIT_TRAIL_LIMIT) {
  const columns = {
    id: auditEvents.id,
    occurredAt: auditEvents.occurredAt,
    action: auditEvents.action,
    outcome: auditEvents.outcome,
    actorUserId: auditEvents.actorUserId,
    organizationId: auditEvents.organizationId,
    targetType: auditEvents.targetType,
    targetId: auditEvents.targetId,
    ip: auditEvents.ip,
    details: auditEvents.details,
  };
  const [asActor, asTarget] = await Promise.all([
    db.select(columns).from(auditEvents).where(eq(auditEvents.actorUserId, userId)).orderBy(desc(auditEvents.occurredAt), desc(auditEvents.id)).limit(limit),
    db
      .select(columns)
      .from(auditEvents)
      .where(and(eq(auditEvents.targetType, "user"), eq(auditEvents.targetId, userId)))
      .orderBy(desc(auditEvents.occurredAt), desc(auditEvents.id))
      .limit(limit),
  ]);
  const byId = new Map([...asActor, ...asTarget].map((e) => [e.id, e]));
  return [...byId.values()]
    .sort((a, b) => b.occurredAt.getTime() - a.occurredAt.getTime() || (a.id < b.id ? 1 : -1))
    .slice(0, limit)
    .map((e) => ({ ...e, role: e.actorUserId === userId ? ("actor" as const) : ("target" as const) }));
}

/** Everything about one user an admin may see; never a hash, secret or token. */
async function userDetail(db: Database, userId: string, now: Date) {
  const [user] = await db
    .select({
      id: users.id,
      username: users.username,
      firstName: users.firstName,
      lastName: users.lastName,
      imageUrl: users.imageUrl,
      locale: users.locale,
      isInstanceAdmin: users.isInstanceAdmin,
      bannedAt: users.bannedAt,
      lockedUntil: users.lockedUntil,
      lastSignInAt: users.lastSignInAt,
      hasSecondFactor: users.hasSecondFactor,
      createdAt: users.createdAt,
      updatedAt: users.updatedAt,
      publicMetadata: users.publicMetadata,
      privateMetadata: users.privateMetadata,
      unsafeMetadata: users.unsafeMetadata,
    })
    .from(users)
    .where(and(eq(users.id, userId), isNull(users.deletedAt)));
  if (!user) return null;
  const [emails, phones, totp, passkeyRows, backup, password, sessionRows, orgs, oauth] = await Promise.all([
    db
      .select({ id: emailAddresses.id, email: emailAddresses.email, isPrimary: emailAddresses.isPrimary, verifiedAt: emailAddresses.verifiedAt, createdAt: emailAddresses.createdAt })
      .from(emailAddresses)
      .where(eq(emailAddresses.userId, userId))
      .orderBy(desc(emailAddresses.isPrimary), asc(emailAddresses.createdAt)),
    db
      .select({ id: phoneNumbers.id, phone: phoneNumbers.phone, verifiedAt: phoneNumbers.verifiedAt, usedForMfa: phoneNumbers.usedForMfa, createdAt: phoneNumbers.createdAt })
      .from(phoneNumbers)
      .where(eq(phoneNumbers.userId, userId))
      .orderBy(asc(phoneNumbers.createdAt)),
    db.select({ verifiedAt: totpFactors.verifiedAt }).from(totpFactors).where(eq(totpFactors.userId, userId)),
    db.select({ id: passkeys.id, name: passkeys.name, createdAt: passkeys.createdAt, lastUsedAt: passkeys.lastUsedAt }).from(passkeys).where(eq(passkeys.userId, userId)),
    db
      .select({ n: sql<number>`count(*)::int` })
      .from(backupCodes)
      .where(and(eq(backupCodes.userId, userId), isNull(backupCodes.usedAt))),
    db.select({ userId: passwordCredentials.userId }).from(passwordCredentials).where(eq(passwordCredentials.userId, userId)),
    db
      .select({
        id: sessions.id,
        userAgent: sessions.userAgent,
        ip: sessions.ip,
        createdAt: sessions.createdAt,
        lastActiveAt: sessions.lastActiveAt,
        expiresAt: sessions.expiresAt,
        impersonatorUserId: sessions.impersonatorUserId,
      })
      .from(sessions)
      .where(and(eq(sessions.userId, userId), gt(sessions.expiresAt, now), gt(sessions.idleExpiresAt, now)))
      .orderBy(desc(sessions.lastActiveAt), desc(sessions.createdAt))
      .limit(200),
    db
      .select({ id: organizations.id, name: organizations.name, slug: organizations.slug, roleKeys: memberships.roleKeys, joinedAt: memberships.createdAt })
      .from(memberships)
      .innerJoin(organizations, eq(organizations.id, memberships.organizationId))
      .where(eq(memberships.userId, userId))
      .orderBy(asc(organizations.name)),
    db.select({ provider: oauthAccounts.provider }).from(oauthAccounts).where(eq(oauthAccounts.userId, userId)),
  ]);
  return {
    user,
    emailAddresses: emails,
    phoneNumbers: phones,
    factors: {
      password: password.length > 0,
      totp: totp.some((f) => f.verifiedAt !== null),
      passkeys: passkeyRows.length,
      passkeyList: passkeyRows,
      backupCodesRemaining: Number(backup[0]?.n ?? 0),
      smsPhones: phones.filter((p) => p.usedForMfa && p.verifiedAt !== null).length,
      connectedProviders: [...new Set(oauth.map((o) => o.provider))],
    },
    sessions: sessionRows.map(({ userAgent, impersonatorUserId, ...row }) => ({
      ...row,
      ...describeUserAgent(userAgent),
      impersonated: impersonatorUserId !== null,
      impersonatorUserId,
    })),
    organizations: orgs,
  };
}

export const adminUserRouter = {
  /** One page of users: search, a filter, a sort, keyset cursor (opaque). Deleted users are not listed. */
  list: instanceAdminProcedure
    .input(
      z
        .object({
          query: z.string().trim().max(254, "At most 254 characters.").optional(),
          filter: optional(z.enum(userListFilters, "Choose banned, locked, unverified or mfa.")),
          sort: optional(z.enum(userListSorts, "Choose newest, oldest or last_sign_in.")),
          cursor: optional(z.string().max(200, "Not a valid cursor.")),
          limit: z.number("Give the page size as a number.").int("Give a whole number.").min(1, "At least 1.").max(100, "At most 100.").optional(),
        })
        .optional(),
    )
    .query(async ({ ctx, input }) => {
      const sort = input?.sort ?? "newest";
      const cursor = input?.cursor ? decodeUserCursor(input.cursor) : null;
      if (input?.cursor && (!cursor || cursor.sort !== sort)) throw fieldError("cursor", "Not a valid cursor: start again from the first page.");
      return listUsers(ctx.db, { query: input?.query, filter: input?.filter, sort, cursor, limit: input?.limit ?? 25, now: ctx.now() });
    }),

  /** The user's profile, addresses, phones, factors (kinds and counts), live sessions, organizations, metadata and audit trail. */
  get: instanceAdminProcedure
    .input(z.object({ userId: userIdSchema }))
    .query(async ({ ctx, input }) => {
      const detail = await userDetail(ctx.db, input.userId, ctx.now());
      if (!detail) throw notFound();
      return { ...detail, auditTrail: await auditTrail(ctx.db, input.userId) };
    }),

  /** Creates a user with a verified address (the admin vouches for it) and, optionally, a password. */
  create: instanceAdminProcedure
    .input(
      z.object({
        email: emailSchema,
        password: optional(z.string().max(1024, "Password is too long.")),
        firstName: optional(personNameSchema),
        lastName: optional(personNameSchema),
        username: optional(usernameSchema),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      let hash: string | null = null;
      if (input.password !== undefined) {
        const settings = await getInstanceSettings(ctx.db);
        const rules = checkPasswordPolicy(input.password, { minLength: settings.minPasswordLength });
        if (!rules.ok) throw fieldError("password", rules.message, rules.code);
        hash = await hashPassword(input.password);
      }
      const now = ctx.now();
      const created = await ctx.db.transaction(async (tx) => {
        const [taken] = await tx.select({ id: emailAddresses.id }).from(emailAddresses).where(eq(emailAddresses.email, input.email));
        if (taken) throw new ApiError({ code: "CONFLICT", reason: "EMAIL_TAKEN", field: "email", message: "email: That address belongs to another account." });
        if (input.username) {
          const [clash] = await tx.select({ id: users.id }).from(users).where(sql`lower(${users.username}) = lower(${input.username})`);
          if (clash) throw new ApiError({ code: "CONFLICT", reason: "ALREADY_EXISTS", field: "username", message: "username: That username is taken." });
        }
        const [user] = await tx
          .insert(users)
          .values({ username: input.username ?? null, firstName: input.firstName || null, lastName: input.lastName || null, createdAt: now, updatedAt: now })
          .returning({ id: users.id });
        await tx.insert(emailAddresses).values({ userId: user!.id, email: input.email, isPrimary: true, verifiedAt: now, createdAt: now });
        if (hash) await tx.insert(passwordCredentials).values({ userId: user!.id, hash, createdAt: now, updatedAt: now });
        await audit(ctx, tx, "user.created", user!.id, { email: input.email, withPassword: hash !== null, by: "instance_admin" });
        return user!.id;
      });
      return { id: created };
    }),

  /** Bans the user: sign-in refused, every session ended (the auth lookup refuses a banned user on any request). */
  ban: instanceAdminProcedure
    .input(z.object({ userId: userIdSchema }))
    .mutation(async ({ ctx, input }) => {
      if (input.userId === ctx.user.id) throw notYourself("ban");
      const now = ctx.now();
      return ctx.db.transaction(async (tx) => {
        const user = await lockUser(tx, input.userId);
        const bannedAt = user.bannedAt ?? now;
        await tx.update(users).set({ bannedAt, updatedAt: now }).where(eq(users.id, input.userId));
        const ended = await endSessions(tx, input.userId);
        await audit(ctx, tx, "user.banned", input.userId, { alreadyBanned: user.bannedAt !== null, revokedSessionIds: ended });
        return { bannedAt, revokedSessions: ended.length };
      });
    }),

  unban: instanceAdminProcedure
    .input(z.object({ userId: userIdSchema }))
    .mutation(async ({ ctx, input }) => {
      return ctx.db.transaction(async (tx) => {
        const user = await lockUser(tx, input.userId);
        await tx.update(users).set({ bannedAt: null, updatedAt: ctx.now() }).where(eq(users.id, input.userId));
        await audit(ctx, tx, "user.unbanned", input.userId, { wasBanned: user.bannedAt !== null });
        return { banned: false as const };
      });
    }),

  /** Locks sign-in for `minutes` (default 60) and ends the user's sessions (see the header for why). */
  lock: instanceAdminProcedure
    .input(
      z.object({
        userId: userIdSchema,
        minutes: z
          .number("Give the minutes as a number.")
          .int("Give whole minutes.")
          .min(1, "At least 1 minute.")
          .max(USER_LOCK_MAX_MINUTES, `At most ${USER_LOCK_MAX_MINUTES} minutes (a year); ban the user instead.`)
          .optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      if (input.userId === ctx.user.id) throw notYourself("lock");
      const now = ctx.now();
      const minutes = input.minutes ?? USER_LOCK_DEFAULT_MINUTES;
      const lockedUntil = new Date(now.getTime() + minutes * 60_000);
      return ctx.db.transaction(async (tx) => {
        await lockUser(tx, input.userId);
        await tx.update(users).set({ lockedUntil, updatedAt: now }).where(eq(users.id, input.userId));
        const ended = await endSessions(tx, input.userId);
        await audit(ctx, tx, "user.locked", input.userId, { reason: "instance_admin", minutes, lockedUntil: lockedUntil.toISOString(), revokedSessionIds: ended });
        return { lockedUntil, revokedSessions: ended.length };
      });
    }),

  /** Lifts a lock, whether an admin set it or failed passwords did, and forgets the failed-sign-in count. */
  unlock: instanceAdminProcedure
    .input(z.object({ userId: userIdSchema }))
    .mutation(async ({ ctx, input }) => {
      return ctx.db.transaction(async (tx) => {
        const user = await lockUser(tx, input.userId);
        await tx.update(users).set({ lockedUntil: null, updatedAt: ctx.now() }).where(eq(users.id, input.userId));
        await resetRateLimit(tx, signInFailures, `user:${input.userId}`);
        await audit(ctx, tx, "user.unlocked", input.userId, { wasLockedUntil: user.lockedUntil?.toISOString() ?? null });
        return { locked: false as const };
      });
    }),

  /** Signs one of the user's sessions out: that device is signed out on its next request. */
  revokeSession: instanceAdminProcedure
    .input(z.object({ userId: userIdSchema, sessionId: idSchema("sess") }))
    .mutation(async ({ ctx, input }) => {
      return ctx.db.transaction(async (tx) => {
        const [row] = await tx
          .delete(sessions)
          .where(and(eq(sessions.id, input.sessionId), eq(sessions.userId, input.userId)))
          .returning({ id: sessions.id });
        if (!row) throw new ApiError({ code: "NOT_FOUND", reason: "NOT_FOUND", message: "No such session for this user." });
        await audit(ctx, tx, "session.revoked", input.userId, { by: "instance_admin" }, "session", row.id);
        return { revoked: 1 };
      });
    }),

  /** Signs the user out everywhere. */
  revokeAllSessions: instanceAdminProcedure
    .input(z.object({ userId: userIdSchema }))
    .mutation(async ({ ctx, input }) => {
      return ctx.db.transaction(async (tx) => {
        await lockUser(tx, input.userId);
        const ended = await endSessions(tx, input.userId);
        await audit(ctx, tx, "session.revoked", input.userId, { by: "instance_admin", all: true, revokedSessionIds: ended });
        return { revoked: ended.length };
      });
    }),

  /**
   * Public, private and unsafe metadata, with the checks of `metadata.ts` (JSON objects, 8 KB, 10 deep). Merges like
   * Clerk (top-level keys replace, null removes); `replace: true` stores the objects as given (the console's editors).
   */
  updateMetadata: instanceAdminProcedure
    .input(
      z.object({
        userId: userIdSchema,
        publicMetadata: metadataPatchSchema.optional(),
        privateMetadata: metadataPatchSchema.optional(),
        unsafeMetadata: metadataPatchSchema.optional(),
        replace: z.boolean("Give replace as true or false.").optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const now = ctx.now();
      return ctx.db.transaction(async (tx) => {
        await lockUser(tx, input.userId);
        const written = await writeMetadata(
          tx,
          { type: "user", id: input.userId },
          { publicMetadata: input.publicMetadata, privateMetadata: input.privateMetadata, unsafeMetadata: input.unsafeMetadata },
          { now, replace: input.replace ?? false },
        );
        if (!written) throw notFound();
        await audit(ctx, tx, "user.metadata_updated", input.userId, { fields: written.changed, replace: input.replace ?? false });
        return { publicMetadata: written.metadata.publicMetadata ?? {}, privateMetadata: written.metadata.privateMetadata ?? {}, unsafeMetadata: written.metadata.unsafeMetadata ?? {} };
      });
    }),

  /**
   * Deletes the user as `user.delete` does for oneself: anonymized, addresses, credentials, sessions and memberships
   * gone, organizations where they were the only member deleted; `user.deleted` comes from the outbox triggers.
   */
  delete: instanceAdminProcedure
    .input(z.object({ userId: userIdSchema }))
    .mutation(async ({ ctx, input }) => {
      if (input.userId === ctx.user.id) throw notYourself("delete");
      const now = ctx.now();
      const outcome = await ctx.db.transaction(async (tx) => {
        await lockUser(tx, input.userId);
        return deleteAccount(ctx, tx, input.userId, now, "instance_admin");
      });
      if (!outcome.ok) {
        await recordAuditEvent(ctx, {
          action: "user.deleted",
          outcome: "failure",
          actorUserId: ctx.user.id,
          actorSessionId: ctx.session.id,
          targetType: "user",
          targetId: input.userId,
          details: { reason: "LAST_ADMIN", organizationIds: outcome.blocking.map((o) => o.id) },
        });
        throw new ApiError({
          code: "CONFLICT",
          reason: "LAST_ADMIN",
          message: `This user is the last admin of ${outcome.blocking.map((o) => o.name).join(", ")}: make another member an admin there first.`,
        });
      }
      return { deleted: true as const };
    }),

  /** The user's data as one JSON document (a data-subject request): no hashes, secrets or tokens. Audited. */
  export: instanceAdminProcedure
    .input(z.object({ userId: userIdSchema }))
    .mutation(async ({ ctx, input }) => {
      const now = ctx.now();
      const detail = await userDetail(ctx.db, input.userId, now);
      if (!detail) throw notFound();
      const events = await ctx.db
        .select({
          id: auditEvents.id,
          occurredAt: auditEvents.occurredAt,
          action: auditEvents.action,
          outcome: auditEvents.outcome,
          organizationId: auditEvents.organizationId,
          targetType: auditEvents.targetType,
          targetId: auditEvents.targetId,
          ip: auditEvents.ip,
          userAgent: auditEvents.userAgent,
        })
        .from(auditEvents)
        .where(or(eq(auditEvents.actorUserId, input.userId), and(eq(auditEvents.targetType, "user"), eq(auditEvents.targetId, input.userId))))
        .orderBy(desc(auditEvents.occurredAt), desc(auditEvents.id))
        .limit(10_000);
      await audit(ctx, ctx.db, "user.exported", input.userId);
      const { passkeyList, ...factors } = detail.factors;
      return {
        exportedAt: now.toISOString(),
        user: detail.user,
        emailAddresses: detail.emailAddresses,
        phoneNumbers: detail.phoneNumbers,
        organizationMemberships: detail.organizations.map((o) => ({ organizationId: o.id, name: o.name, slug: o.slug, roles: o.roleKeys, joinedAt: o.joinedAt })),
        sessions: detail.sessions.map((s) => ({
          id: s.id,
          createdAt: s.createdAt,
          lastActiveAt: s.lastActiveAt,
          expiresAt: s.expiresAt,
          ip: s.ip,
          browser: s.browser,
          os: s.os,
          deviceType: s.deviceType,
          impersonated: s.impersonated,
        })),
        factors: { ...factors, passkeys: passkeyList.map((p) => ({ id: p.id, name: p.name, createdAt: p.createdAt, lastUsedAt: p.lastUsedAt })) },
        auditEvents: events,
      };
    }),
} satisfies TRPCRouterRecord;
