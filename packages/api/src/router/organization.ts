import type { TRPCRouterRecord } from "@trpc/server";
import { and, eq } from "drizzle-orm";
import { z } from "zod";
import { isUniqueViolation, membershipRoles, memberships, organizations, roles } from "@latchkey/db";
import { setActiveOrganization } from "@latchkey/auth";
import { authedProcedure } from "../trpc.ts";
import { ApiError } from "../errors.ts";
import { recordAuditEvent } from "../audit.ts";
import { idSchema, organizationNameSchema, slugify, slugSchema } from "../validation.ts";
import { enrollmentProcedures } from "./organization-enrollment.ts";
import { listOrganizationsOf } from "../organization-list.ts";

import { organizationProfileProcedures } from "./organization-profile.ts";

export const organizationRouter = {
  /** suggestions, acceptSuggestion, dismissSuggestion, pendingInvitations: joining through domains and invitations. */
  ...enrollmentProcedures,
  /** Creates an organization, makes the caller its admin and its active organization. */
  create: authedProcedure
    .routine()
    .input(z.object({ name: organizationNameSchema, slug: slugSchema.optional().or(z.literal("").transform(() => undefined)) }))
    .mutation(async ({ ctx, input }) => {
      const slug = input.slug ?? slugify(input.name);
      const now = ctx.now();
      try {
        const organization = await ctx.db.transaction(async (tx) => {
          const [org] = await tx
            .insert(organizations)
            .values({ name: input.name, slug, createdBy: ctx.user.id, createdAt: now, updatedAt: now })
            .returning();
          const [membership] = await tx
            .insert(memberships)
            .values({ organizationId: org!.id, userId: ctx.user.id, createdAt: now, updatedAt: now })
            .returning({ id: memberships.id });
          const [adminRole] = await tx.select({ id: roles.id }).from(roles).where(eq(roles.key, "org:admin"));
          await tx.insert(membershipRoles).values({ membershipId: membership!.id, roleId: adminRole!.id });
          await setActiveOrganization(tx, ctx.session.id, org!.id);
          await recordAuditEvent(ctx, { action: "organization.created", outcome: "success", actorUserId: ctx.user.id, actorSessionId: ctx.session.id, organizationId: org!.id, targetType: "organization", targetId: org!.id }, tx);
          return org!;
        });
        return { id: organization.id, name: organization.name, slug: organization.slug, imageUrl: organization.imageUrl };
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw new ApiError({ code: "CONFLICT", reason: "ALREADY_EXISTS", field: "slug", message: "slug: That slug is taken. Choose another." });
        }
        throw error;
      }
    }),

  /** The caller's organizations with their roles, oldest membership first. */
  // Allowed while an MFA policy waits for a factor: the header lists the organizations on every page, /user/mfa too.
  listMine: authedProcedure.allowWithoutMfa().routine().query(async ({ ctx }) => listOrganizationsOf(ctx.db, ctx.user.id)),

  /** Sets the session's active organization, or the personal context with `null`. */
  setActive: authedProcedure
    .routine()
    .input(z.object({ organizationId: idSchema("org").nullable() }))
    .mutation(async ({ ctx, input }) => {
      if (input.organizationId === null) {
        await setActiveOrganization(ctx.db, ctx.session.id, null);
        return null;
      }
      const [org] = await ctx.db
        .select({ id: organizations.id, name: organizations.name, slug: organizations.slug })
        .from(memberships)
        .innerJoin(organizations, eq(organizations.id, memberships.organizationId))
        .where(and(eq(memberships.userId, ctx.user.id), eq(memberships.organizationId, input.organizationId)))
        .limit(1);
      if (!org) throw new ApiError({ code: "FORBIDDEN", reason: "NOT_A_MEMBER", message: "You are not a member of this organization." });
      await setActiveOrganization(ctx.db, ctx.session.id, org.id);
      return org;
    }),

  /** An organization the caller belongs to, with their roles and permissions there. Non-members get FORBIDDEN whether or not it exists. */
  getBySlug: authedProcedure.routine().input(z.object({ slug: slugSchema })).query(async ({ ctx, input }) => {
    const [row] = await ctx.db
      .select({
        id: organizations.id,
        name: organizations.name,
        slug: organizations.slug,
        imageUrl: organizations.imageUrl,
        createdAt: organizations.createdAt,
        roles: memberships.roleKeys,
        permissions: memberships.permissions,
      })
      .from(organizations)
      .innerJoin(memberships, and(eq(memberships.organizationId, organizations.id), eq(memberships.userId, ctx.user.id)))
      .where(eq(organizations.slug, input.slug))
      .limit(1);
    if (!row) throw new ApiError({ code: "FORBIDDEN", reason: "NOT_A_MEMBER", message: "You are not a member of this organization." });
    return row;
  }),

  ...organizationProfileProcedures,
} satisfies TRPCRouterRecord;
