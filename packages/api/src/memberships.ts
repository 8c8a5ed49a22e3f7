/**
 * Rules shared by the member and invitation routers: which roles a caller may hand out, and the per-organization lock
 * under which "the last admin stays" is checked. Roles are instance-level rows of `roles`; a member's role keys and
 * permissions on `memberships` are kept by triggers (ADR 004) and never written here.
 */
import { and, eq, sql } from "drizzle-orm";
import { memberships, organizations, roles, type Database } from "@latchkey/db";
import { isDeclaredPermission, isSystemPermission } from "@latchkey/auth";
import { ApiError, fieldError } from "./errors.ts";
import { recordAuditEvent, type AuditInput } from "./audit.ts";
import type { Context } from "./context.ts";

export const ADMIN_ROLE = "org:admin";

export interface RoleRow {
  id: string;
  key: string;
  name: string;
  permissions: string[];
}

/** The role named by `key`, or a 400 naming `field`. */
export async function requireRole(db: Database, key: string, field = "roleKey"): Promise<RoleRow> {
  const [role] = await db
    .select({ id: roles.id, key: roles.key, name: roles.name, permissions: roles.permissions })
    .from(roles)
    .where(eq(roles.key, key))
    .limit(1);
  if (!role) throw fieldError(field, "No such role.", "UNKNOWN_ROLE");
  return role;
}

/**
 * No escalation: a caller may grant (or invite with) a role only when every permission of that role is within what
 * they may grant: the permissions they hold, and, when they manage the organization's members, every custom
 * permission (one an instance admin created at run time for an app feature, not declared in code). So an org admin
 * can hand out a custom role such as `org:analyst` (holding `org:reports:read`), but nobody can hand out a system or
 * app permission they lack. `granted` is the caller's permission set as resolved for this very request (ADR 022).
 */
export function requireGrantable(role: RoleRow, granted: readonly string[]): void {
  if (!isGrantable(role.permissions, granted)) {
    throw new ApiError({ code: "FORBIDDEN", reason: "ROLE_ESCALATION", message: "You can't grant a role with rights beyond your own." });
  }
}

/** The rule of `requireGrantable` as a yes/no, also used when an invitation is accepted (the inviter's current rights). */
export function isGrantable(rolePermissions: readonly string[], granted: readonly string[]): boolean {
  const mine = new Set(granted);
  const managesMembers = mine.has("org:sys_memberships:manage");
  const isCustom = (permission: string) => !isDeclaredPermission(permission) && !isSystemPermission(permission);
  return rolePermissions.every((permission) => mine.has(permission) || (managesMembers && isCustom(permission)));
}

/**
 * Serialises membership changes of one organization (role changes, removals, leaving) by locking its row, so two
 * admins demoting each other at once can't leave the organization without one.
 */
export async function lockOrganization(tx: Database, organizationId: string): Promise<void> {
  await tx.select({ id: organizations.id }).from(organizations).where(eq(organizations.id, organizationId)).for("update");
}

export async function countAdmins(tx: Database, organizationId: string): Promise<number> {
  const [row] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(memberships)
    .where(and(eq(memberships.organizationId, organizationId), sql`${ADMIN_ROLE} = any(${memberships.roleKeys})`));
  return Number(row?.n ?? 0);
}

/** Refuses a change that would leave the organization without an admin. Call under `lockOrganization`. */
export async function requireAnotherAdmin(tx: Database, organizationId: string, target: { roleKeys: string[] }): Promise<void> {
  if (!target.roleKeys.includes(ADMIN_ROLE)) return;
  if ((await countAdmins(tx, organizationId)) > 1) return;
  throw new ApiError({ code: "CONFLICT", reason: "LAST_ADMIN", message: "The organization's last admin can't be removed, demoted or leave." });
}

/** A membership of this organization, locked for the change; ids of other organizations find nothing. */
export async function requireMembership(tx: Database, organizationId: string, membershipId: string) {
  const [row] = await tx
    .select({ id: memberships.id, userId: memberships.userId, roleKeys: memberships.roleKeys })
    .from(memberships)
    .where(and(eq(memberships.id, membershipId), eq(memberships.organizationId, organizationId)))
    .limit(1)
    .for("update");
  if (!row) throw new ApiError({ code: "NOT_FOUND", reason: "NOT_FOUND", message: "No such member in this organization." });
  return row;
}

export interface OrgActor {
  user: { id: string };
  session: { id: string };
  organization: { id: string };
}

/**
 * Runs a membership change and audits it either way: `success` with the change, or `denied`/`failure` with the
 * reason the API answered, so refused attempts (last admin, escalation, foreign ids) show in the log too.
 */
export async function audited<T>(ctx: Context & OrgActor, event: Omit<AuditInput, "outcome">, change: () => Promise<T>): Promise<T> {
  const base = { actorUserId: ctx.user.id, actorSessionId: ctx.session.id, organizationId: ctx.organization.id, ...event };
  try {
    return await change();
  } catch (error) {
    if (error instanceof ApiError) {
      const outcome = error.code === "FORBIDDEN" ? "denied" : "failure";
      await recordAuditEvent(ctx, { ...base, outcome, details: { ...event.details, reason: error.reason } });
    }
    throw error;
  }
}
