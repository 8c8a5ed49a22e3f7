/**
 * Members of the organization in scope: list (anyone with `org:sys_memberships:read`), change role and remove
 * (`org:sys_memberships:manage`), leave (any member). Rules: the last admin can't be demoted, removed or leave; nobody
 * grants a role with rights beyond their own; ids from another organization find nothing. Rights live on the
 * membership row and are read on every request, so a change bites on the caller's very next request.
 */
import type { TRPCRouterRecord } from "@trpc/server";
import { and, asc, eq } from "drizzle-orm";
import { z } from "zod";
import { membershipRoles, memberships, roles, sessions } from "@latchkey/db";
import { orgProcedure } from "../trpc.ts";
import { fieldError } from "../errors.ts";
import { recordAuditEvent } from "../audit.ts";
import type { Context } from "../context.ts";
import { idSchema } from "../validation.ts";
import { decodeCursor, listMembers } from "../member-list.ts";
import { audited, lockOrganization, requireAnotherAdmin, requireGrantable, requireMembership, requireRole } from "../memberships.ts";

export const roleKeySchema = z
  .string()
  .trim()
  .min(1, "Choose a role.")
  .max(70, "Not a valid role.")
  .regex(/^org:[a-z][a-z0-9_]{0,63}$/, "Not a valid role.");

const membershipIdSchema = idSchema("orgmem");

export const memberRouter = {
  /** A page of members (oldest first), optionally filtered by name or address. */
  list: orgProcedure
    .permission("org:sys_memberships:read").routine()
    .input(
      z
        .object({
          query: z.string().trim().max(100, "At most 100 characters.").optional(),
          cursor: z.string().max(200, "Not a valid cursor.").optional(),
          limit: z.number().int("Use a whole number.").min(1, "At least 1.").max(100, "At most 100.").optional(),
        })
        .optional(),
    )
    .query(async ({ ctx, input }) => {
      const after = input?.cursor ? decodeCursor(input.cursor) : null;
      if (input?.cursor && !after) throw fieldError("cursor", "Not a valid cursor.");
      return listMembers(ctx.db, {
        organizationId: ctx.organization.id,
        query: input?.query || undefined,
        after,
        limit: input?.limit ?? 20,
      });
    }),

  /** The roles a member can be given or invited with (instance-wide, system and custom) with their permissions, for role pickers. */
  roles: orgProcedure
    .permission("org:sys_memberships:read").routine()
    .query(async ({ ctx }) => {
      return ctx.db
        .select({ key: roles.key, name: roles.name, description: roles.description, permissions: roles.permissions, isSystem: roles.isSystem })
        .from(roles)
        .orderBy(asc(roles.isSystem), asc(roles.key));
    }),

  /** Replaces the member's roles with `roleKey`. */
  setRole: orgProcedure
    .permission("org:sys_memberships:manage").sensitive()
    .input(z.object({ membershipId: membershipIdSchema, roleKey: roleKeySchema }))
    .mutation(async ({ ctx, input }) => {
      const event = { action: "organization.member_role_changed", targetType: "membership", targetId: input.membershipId, details: { roleKey: input.roleKey } };
      return audited(ctx, event, async () => {
        const role = await requireRole(ctx.db, input.roleKey);
        requireGrantable(role, ctx.membership.permissions);
        return ctx.db.transaction(async (tx) => {
          await lockOrganization(tx, ctx.organization.id);
          const target = await requireMembership(tx, ctx.organization.id, input.membershipId);
          if (role.key !== "org:admin") await requireAnotherAdmin(tx, ctx.organization.id, target);
          await tx.delete(membershipRoles).where(eq(membershipRoles.membershipId, target.id));
          await tx.insert(membershipRoles).values({ membershipId: target.id, roleId: role.id });
          await tx.update(memberships).set({ updatedAt: ctx.now() }).where(eq(memberships.id, target.id));
          await recordAuditEvent(ctx, { ...event, outcome: "success", actorUserId: ctx.user.id, actorSessionId: ctx.session.id, organizationId: ctx.organization.id, details: { from: target.roleKeys, to: role.key } }, tx);
          return { membershipId: target.id, roles: [role.key] };
        });
      });
    }),

  /** Removes a member; their next request to this organization is refused. */
  remove: orgProcedure
    .permission("org:sys_memberships:manage").sensitive()
    .input(z.object({ membershipId: membershipIdSchema }))
    .mutation(async ({ ctx, input }) => {
      const event = { action: "organization.member_removed", targetType: "membership", targetId: input.membershipId };
      return audited(ctx, event, () =>
        ctx.db.transaction(async (tx) => {
          await lockOrganization(tx, ctx.organization.id);
          const target = await requireMembership(tx, ctx.organization.id, input.membershipId);
          await requireAnotherAdmin(tx, ctx.organization.id, target);
          await endMembership(tx, ctx.organization.id, target);
          await recordAuditEvent(ctx, { ...event, outcome: "success", actorUserId: ctx.user.id, actorSessionId: ctx.session.id, organizationId: ctx.organization.id, details: { userId: target.userId, roles: target.roleKeys } }, tx);
          return { membershipId: target.id };
        }),
      );
    }),

  /** The caller leaves the organization in scope. */
  leave: orgProcedure.sensitive().mutation(async ({ ctx }) => {
    const event = { action: "organization.member_left", targetType: "membership", targetId: ctx.membership.id };
    return audited(ctx, event, () =>
      ctx.db.transaction(async (tx) => {
        await lockOrganization(tx, ctx.organization.id);
        const target = await requireMembership(tx, ctx.organization.id, ctx.membership.id);
        await requireAnotherAdmin(tx, ctx.organization.id, target);
        await endMembership(tx, ctx.organization.id, target);
        await recordAuditEvent(ctx, { ...event, outcome: "success", actorUserId: ctx.user.id, actorSessionId: ctx.session.id, organizationId: ctx.organization.id }, tx);
        return { organizationId: ctx.organization.id };
      }),
    );
  }),
} satisfies TRPCRouterRecord;

/**
 * Deletes the membership (its roles go with it). The person's sessions stay signed in; those that had this
 * organization active fall back to the personal context instead of pointing at an organization they left.
 */
async function endMembership(tx: Context["db"], organizationId: string, target: { id: string; userId: string }) {
  await tx.delete(memberships).where(eq(memberships.id, target.id));
  await tx
    .update(sessions)
    .set({ activeOrganizationId: null })
    .where(and(eq(sessions.userId, target.userId), eq(sessions.activeOrganizationId, organizationId)));
}
