/**
 * Admin console: organizations — list, search, detail, membership limit, delete (instance admins only).
 *
 * The list pages newest first by keyset on (created_at, id) (`organizations_created_at_id_idx`); a search is an id
 * (`org_…`, exact), a slug (exact or prefix) or a name prefix (`lower(name) like 'q%'`, `organizations_name_pattern_idx`).
 * Deleting goes through the same code as an owner's `organization.delete`, so the outbox writes `organization.deleted`.
 */
import type { TRPCRouterRecord } from "@trpc/server";
import { and, asc, desc, eq, gt, or, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { invitations, organizationDomains, organizations, roles } from "@latchkey/db";
import { instanceAdminProcedure } from "../trpc.ts";
import { ApiError, fieldError } from "../errors.ts";
import { recordAuditEvent } from "../audit.ts";
import type { Context } from "../context.ts";
import { getInstanceSettings } from "../instance-settings.ts";
import { decodeCursor as decodeMemberCursor, listMembers } from "../member-list.ts";
import { lockOrganization } from "../memberships.ts";
import { deleteOrganizationRecords } from "../organization-deletion.ts";
import { idSchema } from "../validation.ts";
import { decodeTimeIdCursor, encodeTimeIdCursor, escapeLike } from "../keyset.ts";

const organizationIdSchema = idSchema("org");
/** The highest limit an admin may set; far above any real organization, low enough to stay an `integer`. */
export const MAX_MEMBERSHIP_LIMIT = 1_000_000;

type AdminCtx = Context & { user: { id: string }; session: { id: string } };

const cursorTimeSql = sql<string>`to_char(${organizations.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

const organizationId = /^org_[a-z0-9_]{1,60}$/;

/** The search: an id matches exactly; otherwise a slug exactly or by prefix, or a name by prefix, ignoring case. */
function searchCondition(query: string): SQL {
  const q = query.toLowerCase();
  if (/^org_[a-z0-9_]+$/.test(q)) return eq(organizations.id, q);
  const pattern = `${escapeLike(q)}%`;
  return or(eq(organizations.slug, q), sql`${organizations.slug} like ${pattern}`, sql`lower(${organizations.name}) like ${pattern}`)!;
}

function notFound(): never {
  throw new ApiError({ code: "NOT_FOUND", reason: "NOT_FOUND", message: "No such organization." });
}

async function audit(ctx: AdminCtx, tx: Context["db"], action: string, organizationId: string, details: Record<string, unknown>) {
  await recordAuditEvent(
    ctx,
    { action, outcome: "success", actorUserId: ctx.user.id, actorSessionId: ctx.session.id, organizationId, targetType: "organization", targetId: organizationId, details },
    tx,
  );
}

// Spelled out: drizzle may print columns inside a `sql` fragment without their table, which would make this correlated
// subquery compare memberships' own columns. `memberships_org_created_idx` answers it.
const membersCount = sql<number>`(select count(*)::int from memberships m where m.organization_id = "organizations"."id")`;

export const adminOrganizationRouter = {
  /** A page of organizations, newest first, with their member counts; `nextCursor` is null on the last page. */
  list: instanceAdminProcedure
    .input(
      z
        .object({
          query: z.string("Enter text to search for.").trim().max(200, "At most 200 characters.").optional(),
          cursor: z.string("Not a valid cursor.").max(200, "Not a valid cursor.").optional(),
          limit: z.number("Enter a number.").int("Enter a whole number.").min(1, "At least 1.").max(100, "At most 100.").optional(),
        })
        .optional(),
    )
    .query(async ({ ctx, input }) => {
      const limit = input?.limit ?? 25;
      const conditions: SQL[] = [];
      if (input?.cursor) {
        const after = decodeTimeIdCursor(input.cursor, organizationId);
        if (!after) throw fieldError("cursor", "Not a valid cursor; start again from the first page.");
        conditions.push(sql`(${organizations.createdAt}, ${organizations.id}) < (${after.createdAt}::timestamptz, ${after.id})`);
      }
      if (input?.query) conditions.push(searchCondition(input.query));
      const rows = await ctx.db
        .select({
          id: organizations.id,
          name: organizations.name,
          slug: organizations.slug,
          imageUrl: organizations.imageUrl,
          membersCount,
          maxMemberships: organizations.maxMemberships,
          createdAt: organizations.createdAt,
          cursorTime: cursorTimeSql,
        })
        .from(organizations)
        .where(conditions.length > 0 ? and(...conditions) : undefined)
        .orderBy(desc(organizations.createdAt), desc(organizations.id))
        .limit(limit + 1);
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        organizations: page.map(({ cursorTime: _omit, membersCount: n, ...row }) => ({ ...row, membersCount: Number(n) })),
        nextCursor: rows.length > limit && last ? encodeTimeIdCursor({ createdAt: last.cursorTime, id: last.id }) : null,
      };
    }),

  /** One organization: profile, a page of members, pending invitations, domains and the membership limit. */
  get: instanceAdminProcedure
    .input(
      z.object({
        organizationId: organizationIdSchema,
        membersCursor: z.string("Not a valid cursor.").max(200, "Not a valid cursor.").optional(),
      }),
    )
    .query(async ({ ctx, input }) => {
      const [org] = await ctx.db
        .select({
          id: organizations.id,
          name: organizations.name,
          slug: organizations.slug,
          imageUrl: organizations.imageUrl,
          maxMemberships: organizations.maxMemberships,
          requireMfa: organizations.requireMfa,
          createdBy: organizations.createdBy,
          createdAt: organizations.createdAt,
          updatedAt: organizations.updatedAt,
          membersCount,
        })
        .from(organizations)
        .where(eq(organizations.id, input.organizationId));
      if (!org) notFound();
      let after = null;
      if (input.membersCursor) {
        after = decodeMemberCursor(input.membersCursor);
        if (!after) throw fieldError("membersCursor", "Not a valid cursor; start again from the first page.");
      }
      const now = ctx.now();
      const members = await listMembers(ctx.db, { organizationId: org.id, after, limit: 50 });
      const pending = await ctx.db
          .select({ id: invitations.id, email: invitations.email, roleKey: roles.key, expiresAt: invitations.expiresAt, createdAt: invitations.createdAt })
          .from(invitations)
          .innerJoin(roles, eq(roles.id, invitations.roleId))
          .where(and(eq(invitations.organizationId, org.id), eq(invitations.status, "pending"), gt(invitations.expiresAt, now)))
          .orderBy(asc(invitations.createdAt), asc(invitations.id))
          .limit(200);
      const domains = await ctx.db
          .select({ id: organizationDomains.id, domain: organizationDomains.domain, enrollmentMode: organizationDomains.enrollmentMode, verifiedAt: organizationDomains.verifiedAt })
          .from(organizationDomains)
          .where(eq(organizationDomains.organizationId, org.id))
          .orderBy(asc(organizationDomains.domain));
      const settings = await getInstanceSettings(ctx.db);
      const { membersCount: count, maxMemberships, ...profile } = org;
      const instanceDefault = settings.maxMembershipsPerOrganization;
      return {
        organization: profile,
        members: members.members,
        membersNextCursor: members.nextCursor,
        invitations: pending,
        domains,
        membershipLimit: {
          /** The organization's own limit; null means the instance default applies. */
          own: maxMemberships,
          instanceDefault,
          /** The limit in force; null is no limit. */
          effective: maxMemberships ?? instanceDefault,
          members: Number(count),
          pendingInvitations: pending.length,
        },
      };
    }),

  /**
   * Sets the organization's own membership limit, or with `null` returns it to the instance default. A limit below
   * the current member count is allowed (as Clerk does): nobody is removed, new invitations and joins are refused
   * until members leave; the answer says so with `overLimit`.
   */
  setMembershipLimit: instanceAdminProcedure
    .input(
      z.object({
        organizationId: organizationIdSchema,
        maxMemberships: z
          .number("Enter a number of members, or leave it empty for the instance default.")
          .int("Enter a whole number.")
          .min(1, "At least 1.")
          .max(MAX_MEMBERSHIP_LIMIT, `At most ${MAX_MEMBERSHIP_LIMIT}.`)
          .nullable(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      return ctx.db.transaction(async (tx) => {
        await lockOrganization(tx, input.organizationId);
        const [org] = await tx
          .select({ id: organizations.id, maxMemberships: organizations.maxMemberships, membersCount })
          .from(organizations)
          .where(eq(organizations.id, input.organizationId));
        if (!org) notFound();
        await tx.update(organizations).set({ maxMemberships: input.maxMemberships, updatedAt: ctx.now() }).where(eq(organizations.id, org.id));
        const effective = input.maxMemberships ?? (await getInstanceSettings(tx)).maxMembershipsPerOrganization;
        const members = Number(org.membersCount);
        await audit(ctx, tx, "organization.membership_limit_updated", org.id, { from: org.maxMemberships, to: input.maxMemberships });
        return { organizationId: org.id, maxMemberships: input.maxMemberships, effective, members, overLimit: effective !== null && members > effective };
      });
    }),

  /**
   * Deletes the organization with its memberships, invitations, domains and projects, as its owner's delete does.
   * `confirmation` must be its slug, typed, so a slip deletes nothing.
   */
  delete: instanceAdminProcedure
    .input(z.object({ organizationId: organizationIdSchema, confirmation: z.string("Type the organization's slug to confirm.").max(200, "At most 200 characters.") }))
    .mutation(async ({ ctx, input }) => {
      return ctx.db.transaction(async (tx) => {
        await lockOrganization(tx, input.organizationId);
        const [org] = await tx
          .select({ id: organizations.id, name: organizations.name, slug: organizations.slug, membersCount })
          .from(organizations)
          .where(eq(organizations.id, input.organizationId));
        if (!org) notFound();
        if (input.confirmation.trim() !== org.slug) {
          throw fieldError("confirmation", "Type the organization's slug exactly to confirm.", "CONFIRMATION_MISMATCH");
        }
        await deleteOrganizationRecords(tx, org.id);
        await audit(ctx, tx, "organization.deleted", org.id, { name: org.name, slug: org.slug, members: Number(org.membersCount), by: "instance_admin" });
        return { id: org.id };
      });
    }),
} satisfies TRPCRouterRecord;
