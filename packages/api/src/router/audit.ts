/**
 * The audit log views. `listForOrganization` shows the organization in scope's events to members holding
 * `org:sys_audit:read` (admins by default): only rows with that organization's id, so another organization's events
 * and instance-level events not tied to it never show. `listForInstance` shows every event to instance admins.
 * Both take the same filters and cursor (see ../audit-log.ts); the JSON Lines export (../audit-export.ts) goes through
 * these same procedures for its authorization.
 */
import type { TRPCRouterRecord } from "@trpc/server";
import { auditListInputSchema, AUDIT_PAGE_DEFAULT, listAuditEvents, resolveAuditFilters, type AuditScope } from "../audit-log.ts";
import type { Context } from "../context.ts";
import { instanceAdminProcedure, orgProcedure } from "../trpc.ts";

type ListInput = ReturnType<typeof auditListInputSchema.parse>;

async function list(ctx: Context, scope: AuditScope, input: ListInput) {
  const { cursor, limit, ...filters } = input;
  return listAuditEvents(ctx.db, {
    scope,
    filters: await resolveAuditFilters(ctx.db, filters),
    cursor: cursor ?? null,
    limit: limit ?? AUDIT_PAGE_DEFAULT,
  });
}

export const auditRouter = {
  listForOrganization: orgProcedure
    .permission("org:sys_audit:read").routine()
    .input(auditListInputSchema)
    .query(({ ctx, input }) => list(ctx, { organizationId: ctx.organization.id }, input)),

  listForInstance: instanceAdminProcedure
    .input(auditListInputSchema)
    .query(({ ctx, input }) => list(ctx, { instance: true }, input)),
} satisfies TRPCRouterRecord;
