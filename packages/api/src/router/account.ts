/**
 * Self-service account changes behind a strict reverification (the password or a factor confirmed in the last
 * 10 minutes): changing (or first setting) the password, and deleting the account. Mounted on the `user` router.
 */
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import {
  backupCodes,
  emailAddresses,
  memberships,
  organizationSuggestions,
  organizations,
  oauthAccounts,
  oauthStates,
  passkeys,
  passwordCredentials,
  phoneNumbers,
  sessions,
  signInChallenges,
  totpFactors,
  users,
  verifications,
  webauthnChallenges,
  type Database,
} from "@latchkey/db";
import { checkPasswordPolicy, defineRateLimit, hashPassword, MINUTE, verifyPassword } from "@latchkey/auth";
import { authedProcedure, requireReverification } from "../trpc.ts";
import { ApiError, fieldError } from "../errors.ts";
import { recordAuditEvent } from "../audit.ts";
import { enforceRateLimit } from "../rate-limits.ts";
import { sendSecurityNotice } from "../security-notice.ts";
import { deleteImagesOf } from "../images.ts";
import { deleteOrganizationRecords } from "../organization-deletion.ts";
import { ADMIN_ROLE } from "../memberships.ts";
import { countFailure } from "./auth.ts";
import type { Context } from "../context.ts";

/** Attempts at the current password from a signed-in session (on top of the account's sign-in failure count). */
const changePasswordPerUser = defineRateLimit("change-password:user", 10, 15 * MINUTE);

const passwordInput = z.string().max(1024, "Password is too long.");

interface OrganizationRef {
  id: string;
  name: string;
  slug: string;
}

interface DeletionPlan {
  /** Organizations where the user is the only admin and others are members: deleting is refused until that changes. */
  blocking: OrganizationRef[];
  /** Organizations where the user is the only member: deleted with the account. */
  deletedWithAccount: OrganizationRef[];
  /** Every organization the user belongs to. */
  memberOf: OrganizationRef[];
}

/**
 * What deleting the account would do to the user's organizations. Inside the deletion's transaction the
 * organizations are locked first (in id order, so concurrent deletions and membership changes can't deadlock), so
 * no one can leave or be demoted between this check and the delete.
 */
export async function planDeletion(db: Database, userId: string, lock: boolean): Promise<DeletionPlan> {
  const mine = await db
    .select({ id: organizations.id, name: organizations.name, slug: organizations.slug, roleKeys: memberships.roleKeys })
    .from(memberships)
    .innerJoin(organizations, eq(organizations.id, memberships.organizationId))
    .where(eq(memberships.userId, userId))
    .orderBy(asc(organizations.id));
  if (mine.length === 0) return { blocking: [], deletedWithAccount: [], memberOf: [] };
  const ids = mine.map((o) => o.id);
  if (lock) {
    await db.select({ id: organizations.id }).from(organizations).where(inArray(organizations.id, ids)).orderBy(asc(organizations.id)).for("update");
  }
  const counts = await db
    .select({
      organizationId: memberships.organizationId,
      members: sql<number>`count(*)::int`,
      admins: sql<number>`(count(*) filter (where ${ADMIN_ROLE} = any(${memberships.roleKeys})))::int`,
    })
    .from(memberships)
    .where(inArray(memberships.organizationId, ids))
    .groupBy(memberships.organizationId);
  const byOrg = new Map(counts.map((c) => [c.organizationId, { members: Number(c.members), admins: Number(c.admins) }]));
  const plan: DeletionPlan = { blocking: [], deletedWithAccount: [], memberOf: [] };
  for (const org of mine) {
    const ref = { id: org.id, name: org.name, slug: org.slug };
    const { members, admins } = byOrg.get(org.id) ?? { members: 1, admins: 0 };
    plan.memberOf.push(ref);
    if (members <= 1) plan.deletedWithAccount.push(ref);
    else if (org.roleKeys.includes(ADMIN_ROLE) && admins <= 1) plan.blocking.push(ref);
  }
  return plan;
}

/** Every credential and personal row of a user goes; the `users` row stays, anonymized, so history still resolves. */
export async function eraseUser(tx: Database, userId: string, now: Date): Promise<void> {
  await tx.delete(sessions).where(eq(sessions.userId, userId));
  await tx.delete(emailAddresses).where(eq(emailAddresses.userId, userId));
  await tx.delete(passwordCredentials).where(eq(passwordCredentials.userId, userId));
  await tx.delete(totpFactors).where(eq(totpFactors.userId, userId));
  await tx.delete(backupCodes).where(eq(backupCodes.userId, userId));
  await tx.delete(passkeys).where(eq(passkeys.userId, userId));
  await tx.delete(phoneNumbers).where(eq(phoneNumbers.userId, userId));
  // Linked provider accounts go too, so that identity can sign up afresh instead of staying tied to a deleted user.
  await tx.delete(oauthAccounts).where(eq(oauthAccounts.userId, userId));
  await tx.delete(oauthStates).where(eq(oauthStates.userId, userId));
  await tx.delete(signInChallenges).where(eq(signInChallenges.userId, userId));
  await tx.delete(webauthnChallenges).where(eq(webauthnChallenges.userId, userId));
  await tx.delete(verifications).where(eq(verifications.userId, userId));
  await tx.delete(organizationSuggestions).where(eq(organizationSuggestions.userId, userId));
  await tx.delete(memberships).where(eq(memberships.userId, userId));
  await deleteImagesOf(tx, "user", userId);
  await tx
    .update(users)
    .set({
      deletedAt: now,
      username: null,
      firstName: null,
      lastName: null,
      imageUrl: null,
      locale: null,
      publicMetadata: {},
      privateMetadata: {},
      unsafeMetadata: {},
      isInstanceAdmin: false,
      lockedUntil: null,
      updatedAt: now,
    })
    .where(eq(users.id, userId));
}

/**
 * Deletes an account (the user's row locked by the caller): refused — nothing written — while the user is the last
 * admin of an organization with other members; otherwise organizations where they were the only member are deleted,
 * the user is erased, and both are audited with the caller as actor. Shared by `user.delete` and `adminUser.delete`.
 */
export async function deleteAccount(
  ctx: Context & { user: { id: string }; session: { id: string } },
  tx: Database,
  userId: string,
  now: Date,
  by: "self" | "instance_admin",
): Promise<{ ok: true } | { ok: false; blocking: DeletionPlan["blocking"] }> {
  const plan = await planDeletion(tx, userId, true);
  if (plan.blocking.length > 0) return { ok: false, blocking: plan.blocking };
  const byAdmin = by === "instance_admin" ? { userId } : {};
  for (const org of plan.deletedWithAccount) {
    await deleteOrganizationRecords(tx, org.id);
    const reason = by === "self" ? "last_member_deleted_account" : "last_member_deleted_by_admin";
    await recordAuditEvent(
      ctx,
      { action: "organization.deleted", outcome: "success", actorUserId: ctx.user.id, actorSessionId: ctx.session.id, organizationId: org.id, targetType: "organization", targetId: org.id, details: { name: org.name, slug: org.slug, reason, ...byAdmin } },
      tx,
    );
  }
  await eraseUser(tx, userId, now);
  await recordAuditEvent(
    ctx,
    {
      action: "user.deleted",
      outcome: "success",
      actorUserId: ctx.user.id,
      actorSessionId: ctx.session.id,
      targetType: "user",
      targetId: userId,
      details: {
        ...(by === "instance_admin" ? { userId, by } : {}),
        leftOrganizationIds: plan.memberOf.filter((o) => !plan.deletedWithAccount.some((d) => d.id === o.id)).map((o) => o.id),
        deletedOrganizationIds: plan.deletedWithAccount.map((o) => o.id),
      },
    },
    tx,
  );
  return { ok: true };
}

export const accountProcedures = {
  /**
   * Changes the password, or sets a first one for an account that signs in without one (then `currentPassword` is
   * not asked for). Every other session ends in the same transaction; this one stays signed in.
   */
  changePassword: authedProcedure
    .sensitive()
    .use(requireReverification("strict"))
    .input(z.object({ currentPassword: passwordInput.optional(), newPassword: passwordInput }))
    .mutation(async ({ ctx, input }) => {
      const userId = ctx.user.id;
      const now = ctx.now();
      const fail = (reason: string) =>
        recordAuditEvent(ctx, { action: "user.password_changed", outcome: "failure", actorUserId: userId, actorSessionId: ctx.session.id, targetType: "user", targetId: userId, details: { reason } });
      await enforceRateLimit(ctx, changePasswordPerUser, `user:${userId}`);
      const [credential] = await ctx.db.select({ hash: passwordCredentials.hash }).from(passwordCredentials).where(eq(passwordCredentials.userId, userId));

      // The instance's minimum length applies at once (the settings came with this request's auth lookup).
      const rules = checkPasswordPolicy(input.newPassword, { minLength: ctx.auth.settings.minPasswordLength });
      if (!rules.ok) {
        await fail(rules.code);
        throw fieldError("newPassword", rules.message, rules.code);
      }
      if (credential) {
        if (!input.currentPassword) {
          await fail("CURRENT_PASSWORD_MISSING");
          throw fieldError("currentPassword", "Enter your current password.");
        }
        if (!(await verifyPassword(credential.hash, input.currentPassword))) {
          await fail("WRONG_PASSWORD");
          // Counts toward the sign-in lockout like a failed sign-in: a stolen session can't guess the password freely.
          await countFailure(ctx, userId, now);
          throw fieldError("currentPassword", "That password is not right.", "WRONG_PASSWORD");
        }
        if (input.currentPassword === input.newPassword) {
          await fail("SAME_PASSWORD");
          throw fieldError("newPassword", "Choose a password different from the current one.", "PASSWORD_UNCHANGED");
        }
      }

      const hash = await hashPassword(input.newPassword);
      const revoked = await ctx.db.transaction(async (tx) => {
        await tx
          .insert(passwordCredentials)
          .values({ userId, hash, createdAt: now, updatedAt: now })
          .onConflictDoUpdate({ target: passwordCredentials.userId, set: { hash, updatedAt: now } });
        const ended = await tx
          .delete(sessions)
          .where(and(eq(sessions.userId, userId), sql`${sessions.id} <> ${ctx.session.id}`))
          .returning({ id: sessions.id });
        // Whatever was under way with the old password ends too: reset links and half-finished sign-ins.
        await tx.delete(verifications).where(and(eq(verifications.userId, userId), eq(verifications.purpose, "password_reset")));
        await tx.delete(signInChallenges).where(eq(signInChallenges.userId, userId));
        await recordAuditEvent(
          ctx,
          {
            action: "user.password_changed",
            outcome: "success",
            actorUserId: userId,
            actorSessionId: ctx.session.id,
            targetType: "user",
            targetId: userId,
            details: { hadPassword: Boolean(credential), revokedSessionIds: ended.map((s) => s.id) },
          },
          tx,
        );
        return ended.length;
      });
      await sendSecurityNotice(ctx, userId, "password_changed");
      return { changed: true as const, revokedSessions: revoked };
    }),

  /** Whether the caller has a password (the change form then asks for the current one) and what deleting would do. */
  accountStatus: authedProcedure.routine().query(async ({ ctx }) => {
    const [credential] = await ctx.db.select({ userId: passwordCredentials.userId }).from(passwordCredentials).where(eq(passwordCredentials.userId, ctx.user.id));
    const plan = await planDeletion(ctx.db, ctx.user.id, false);
    return {
      hasPassword: Boolean(credential),
      deletion: { blockedBy: plan.blocking, deletesOrganizations: plan.deletedWithAccount },
    };
  }),

  /**
   * Deletes the caller's account for good: the user is anonymized (names, username, image, metadata cleared, email
   * addresses, password and factors removed), every session ends and every membership goes; organizations where
   * they were the only member are deleted with it. Refused while they are the last admin of an organization that
   * has other members.
   */
  delete: authedProcedure
    .sensitive()
    .use(requireReverification("strict"))
    .mutation(async ({ ctx }) => {
      const userId = ctx.user.id;
      const now = ctx.now();
      const outcome = await ctx.db.transaction(async (tx) => {
        await tx.select({ id: users.id }).from(users).where(eq(users.id, userId)).for("update");
        return deleteAccount(ctx, tx, userId, now, "self");
      });
      if (!outcome.ok) {
        await recordAuditEvent(ctx, {
          action: "user.deleted",
          outcome: "failure",
          actorUserId: userId,
          actorSessionId: ctx.session.id,
          targetType: "user",
          targetId: userId,
          details: { reason: "LAST_ADMIN", organizationIds: outcome.blocking.map((o) => o.id) },
        });
        throw new ApiError({
          code: "CONFLICT",
          reason: "LAST_ADMIN",
          message: `You are the last admin of ${outcome.blocking.map((o) => o.name).join(", ")}: make another member an admin or delete the organization first.`,
        });
      }
      ctx.clearSession();
      return { deleted: true as const };
    }),
};
