/**
 * The example org-scoped resource — copy this file to add your own. Each procedure states its rule in one call that
 * also enforces it: `orgProcedure.permission(...)` (a member of the organization in scope holding the permission),
 * then `.routine()` or `.sensitive()` (allowed or refused while an admin impersonates the user). Always filter by
 * `ctx.organization.id`: ids from another tenant must find nothing.
 */
import type { TRPCRouterRecord } from "@trpc/server";
import { and, desc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { projects } from "@latchkey/db";
import { orgProcedure } from "../trpc.ts";
import { ApiError } from "../errors.ts";
import { recordAuditEvent } from "../audit.ts";
import { idSchema } from "../validation.ts";
import { preparedStatement } from "../prepared.ts";

const projectColumns = { id: projects.id, name: projects.name, createdAt: projects.createdAt, createdBy: projects.createdBy };

// The list is read on every visit of an organization's page, so it is a prepared statement (see ../prepared.ts).
const listProjects = preparedStatement((db) =>
  db
    .select(projectColumns)
    .from(projects)
    .where(eq(projects.organizationId, sql.placeholder("organizationId")))
    .orderBy(desc(projects.createdAt), desc(projects.id))
    .limit(200)
    .prepare("latchkey_project_list"),
);

export const projectRouter = {
  list: orgProcedure
    .permission("org:projects:read").routine()
    .query(async ({ ctx }) => {
    return listProjects(ctx.db).execute({ organizationId: ctx.organization.id });
  }),

  create: orgProcedure
    .permission("org:projects:manage").routine()
    .input(z.object({ name: z.string().trim().min(1, "Enter a name.").max(100, "At most 100 characters.") }))
    .mutation(async ({ ctx, input }) => {
      return ctx.db.transaction(async (tx) => {
        const [project] = await tx
          .insert(projects)
          .values({ organizationId: ctx.organization.id, name: input.name, createdBy: ctx.user.id, createdAt: ctx.now() })
          .returning(projectColumns);
        await recordAuditEvent(ctx, { action: "project.created", outcome: "success", actorUserId: ctx.user.id, actorSessionId: ctx.session.id, organizationId: ctx.organization.id, targetType: "project", targetId: project!.id }, tx);
        return project!;
      });
    }),

  delete: orgProcedure
    .permission("org:projects:manage").sensitive()
    .input(z.object({ projectId: idSchema("proj") }))
    .mutation(async ({ ctx, input }) => {
      return ctx.db.transaction(async (tx) => {
        const deleted = await tx
          .delete(projects)
          .where(and(eq(projects.id, input.projectId), eq(projects.organizationId, ctx.organization.id)))
          .returning({ id: projects.id });
        if (deleted.length === 0) throw new ApiError({ code: "NOT_FOUND", reason: "NOT_FOUND", message: "No such project in this organization." });
        await recordAuditEvent(ctx, { action: "project.deleted", outcome: "success", actorUserId: ctx.user.id, actorSessionId: ctx.session.id, organizationId: ctx.organization.id, targetType: "project", targetId: input.projectId }, tx);
        return { id: input.projectId };
      });
    }),
} satisfies TRPCRouterRecord;
