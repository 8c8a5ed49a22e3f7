/**
 * The organization in scope, changed by its own admins: name and slug (`org:sys_profile:manage`), the logo (same
 * permission) and deletion (`org:sys_profile:delete`, typed confirmation of the current name). Audit events have no
 * foreign key to organizations, so the record of a deletion outlives the organization.
 */
import type { TRPCRouterRecord } from "@trpc/server";
import { eq } from "drizzle-orm";
import { z } from "zod";
import { images, isUniqueViolation, organizations } from "@latchkey/db";
import { orgProcedure, requireReverification } from "../trpc.ts";
import { ApiError, fieldError } from "../errors.ts";
import { recordAuditEvent } from "../audit.ts";
import { audited, lockOrganization } from "../memberships.ts";
import { deleteImagesOf, imageUrl, requireImage } from "../images.ts";
import { deleteOrganizationRecords } from "../organization-deletion.ts";
import { organizationNameSchema, slugSchema } from "../validation.ts";

const OWNER_TYPE = "organization";

function slugTaken(): ApiError {
  return new ApiError({ code: "CONFLICT", reason: "ALREADY_EXISTS", field: "slug", message: "slug: That slug is taken. Choose another." });
}

export const organizationProfileProcedures = {
  /** Renames the organization and/or changes its slug (its URLs move with it). */
  update: orgProcedure
    .permission("org:sys_profile:manage").routine()
    .input(z.object({ name: organizationNameSchema.optional(), slug: slugSchema.optional() }))
    .mutation(async ({ ctx, input }) => {
      const event = { action: "organization.updated", targetType: "organization", targetId: ctx.organization.id };
      return audited(ctx, event, async () => {
        const changes = { ...(input.name !== undefined ? { name: input.name } : {}), ...(input.slug !== undefined ? { slug: input.slug } : {}) };
        try {
          return await ctx.db.transaction(async (tx) => {
            const [updated] = await tx
              .update(organizations)
              .set({ ...changes, updatedAt: ctx.now() })
              .where(eq(organizations.id, ctx.organization.id))
              .returning({ id: organizations.id, name: organizations.name, slug: organizations.slug, imageUrl: organizations.imageUrl });
            const from = { name: ctx.organization.name, slug: ctx.organization.slug };
            await recordAuditEvent(ctx, { ...event, outcome: "success", actorUserId: ctx.user.id, actorSessionId: ctx.session.id, organizationId: ctx.organization.id, details: { from, to: changes } }, tx);
            return updated!;
          });
        } catch (error) {
          if (isUniqueViolation(error)) throw slugTaken();
          throw error;
        }
      });
    }),

  /**
   * Deletes the organization with its memberships, invitations, projects and logo. `confirmation` must be its current
   * name, typed, so a slip of the mouse deletes nothing. Sessions that had it active fall back to the personal context.
   */
  delete: orgProcedure
    .permission("org:sys_profile:delete").sensitive()
    // Deleting is for good: the password must have been confirmed in the last 10 minutes, on top of the typed name.
    .use(requireReverification("strict"))
    .input(z.object({ confirmation: z.string().max(200, "At most 200 characters.") }))
    .mutation(async ({ ctx, input }) => {
      const event = { action: "organization.deleted", targetType: "organization", targetId: ctx.organization.id };
      return audited(ctx, event, () =>
        ctx.db.transaction(async (tx) => {
          await lockOrganization(tx, ctx.organization.id);
          const [org] = await tx.select({ name: organizations.name, slug: organizations.slug }).from(organizations).where(eq(organizations.id, ctx.organization.id));
          if (!org || input.confirmation !== org.name) {
            throw fieldError("confirmation", "Type the organization's name exactly to confirm.", "CONFIRMATION_MISMATCH");
          }
          await deleteOrganizationRecords(tx, ctx.organization.id);
          await recordAuditEvent(ctx, { ...event, outcome: "success", actorUserId: ctx.user.id, actorSessionId: ctx.session.id, organizationId: ctx.organization.id, details: { name: org.name, slug: org.slug } }, tx);
          return { id: ctx.organization.id };
        }),
      );
    }),

  /**
   * Sets the logo from an upload's bytes (the web route reads the multipart form, at most 1 MB). The type comes from
   * the magic bytes; the previous logo's row is deleted in the same transaction.
   */
  setImage: orgProcedure
    .permission("org:sys_profile:manage").routine()
    .input(z.object({ image: z.instanceof(Uint8Array, { message: "Choose an image file." }) }))
    .mutation(async ({ ctx, input }) => {
      const event = { action: "organization.image_set", targetType: "organization", targetId: ctx.organization.id };
      return audited(ctx, event, async () => {
        const contentType = requireImage(input.image);
        const bytes = Buffer.from(input.image.buffer, input.image.byteOffset, input.image.byteLength);
        return ctx.db.transaction(async (tx) => {
          await lockOrganization(tx, ctx.organization.id);
          await deleteImagesOf(tx, OWNER_TYPE, ctx.organization.id);
          const [image] = await tx
            .insert(images)
            .values({ ownerType: OWNER_TYPE, ownerId: ctx.organization.id, contentType, bytes, size: bytes.length, createdBy: ctx.user.id, createdAt: ctx.now() })
            .returning({ id: images.id });
          const url = imageUrl(image!.id);
          await tx.update(organizations).set({ imageUrl: url, updatedAt: ctx.now() }).where(eq(organizations.id, ctx.organization.id));
          await recordAuditEvent(ctx, { ...event, outcome: "success", actorUserId: ctx.user.id, actorSessionId: ctx.session.id, organizationId: ctx.organization.id, details: { imageId: image!.id, contentType, size: bytes.length } }, tx);
          return { imageUrl: url };
        });
      });
    }),

  /** Removes the logo (and its stored bytes). */
  removeImage: orgProcedure
    .permission("org:sys_profile:manage").routine()
    .mutation(async ({ ctx }) => {
      return ctx.db.transaction(async (tx) => {
        await lockOrganization(tx, ctx.organization.id);
        await deleteImagesOf(tx, OWNER_TYPE, ctx.organization.id);
        await tx.update(organizations).set({ imageUrl: null, updatedAt: ctx.now() }).where(eq(organizations.id, ctx.organization.id));
        await recordAuditEvent(ctx, { action: "organization.image_removed", outcome: "success", actorUserId: ctx.user.id, actorSessionId: ctx.session.id, organizationId: ctx.organization.id, targetType: "organization", targetId: ctx.organization.id }, tx);
        return { imageUrl: null };
      });
    }),
} satisfies TRPCRouterRecord;
