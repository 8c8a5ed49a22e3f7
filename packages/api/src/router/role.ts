/**
 * Custom roles and custom permissions, defined for the whole instance by instance administrators (the admin console
 * calls these; org admins only hand out roles, through `member.setRole` and invitations). Reading the roles for a
 * picker is `member.roles`, open to members with `org:sys_memberships:read`.
 *
 * A role's permissions must each be a system permission, an app permission (packages/auth/src/permissions.ts) or a
 * `custom_permissions` row. Changing a role's permissions changes its holders' rights in the same transaction (the
 * membership triggers, ADR 004), so they bite on the members' very next request. A system role's key, name and the
 * permissions code declares for it (`defaultRolePermissions`, applied by `migrate()`) are fixed; instance admins may
 * add and remove custom permissions on it (ADR 022). System roles can't be deleted, a role still held or named by an
 * invitation can't be deleted, and a permission still granted by a role can't be deleted.
 */
import type { TRPCRouterRecord } from "@trpc/server";
import { asc, desc, eq, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import { customPermissions, invitations, isUniqueViolation, membershipRoles, roles } from "@latchkey/db";
import { allAppPermissions, allSystemPermissions, isDeclaredPermission, systemRoleKeys } from "@latchkey/auth";
import { instanceAdminProcedure } from "../trpc.ts";
import { ApiError, fieldError } from "../errors.ts";
import { recordAuditEvent } from "../audit.ts";
import type { Context } from "../context.ts";
import { roleKeySchema } from "./member.ts";

const customRoleKeySchema = roleKeySchema.refine((key) => !(systemRoleKeys as readonly string[]).includes(key), "That key belongs to a system role.");
const roleNameSchema = z.string().trim().min(1, "Enter a name.").max(64, "At most 64 characters.");
const descriptionSchema = z.string().trim().max(500, "At most 500 characters.").optional();
const permissionKeySchema = z
  .string()
  .trim()
  .max(130, "Not a valid permission.")
  .regex(/^org:[a-z][a-z0-9_]{0,63}:[a-z][a-z0-9_]{0,63}$/, "Use org:<feature>:<action> in lowercase letters, digits and underscores.");
const permissionsSchema = z.array(permissionKeySchema, "List the permissions.").max(200, "At most 200 permissions.");

const knownPermissions: ReadonlySet<string> = new Set([...allSystemPermissions, ...allAppPermissions]);

type AdminCtx = Context & { user: { id: string }; session: { id: string } };

/**
 * Refuses a permission that is neither in code nor a custom permission row. The rows found are share-locked until
 * the transaction ends, so a concurrent `deletePermission` can't remove one from under the role being written.
 */
async function requireKnownPermissions(tx: Context["db"], permissions: string[]): Promise<string[]> {
  const unique = [...new Set(permissions)];
  const custom = unique.filter((p) => !knownPermissions.has(p));
  if (custom.length > 0) {
    const rows = await tx.select({ key: customPermissions.key }).from(customPermissions).where(inArray(customPermissions.key, custom)).for("share");
    const found = new Set(rows.map((row) => row.key));
    const unknown = custom.filter((p) => !found.has(p));
    if (unknown.length > 0) throw fieldError("permissions", `Unknown permission: ${unknown.join(", ")}.`, "UNKNOWN_PERMISSION");
  }
  return unique;
}

/** A role, locked for the change; unknown keys are refused. */
async function requireRoleForUpdate(tx: Context["db"], key: string) {
  const [role] = await tx.select({ id: roles.id, ...roleColumns }).from(roles).where(eq(roles.key, key)).for("update");
  if (!role) throw new ApiError({ code: "NOT_FOUND", reason: "NOT_FOUND", message: "No such role." });
  return role;
}

/** A custom role, locked for the change; system roles and unknown keys are refused. */
async function requireCustomRole(tx: Context["db"], key: string) {
  const role = await requireRoleForUpdate(tx, key);
  if (role.isSystem) throw new ApiError({ code: "CONFLICT", reason: "SYSTEM_ROLE", message: "System roles can't be changed or deleted." });
  return role;
}

/**
 * A system role keeps its name, description and the permissions declared in code: the change may only add or remove
 * custom permissions (those an instance admin created), so code stays the source of truth for its own grants.
 */
function requireSystemRoleChange(
  role: { name: string; description: string | null; permissions: string[] },
  input: { name?: string; description?: string; permissions?: string[] },
): void {
  if (input.name !== undefined && input.name !== role.name) throw fieldError("name", "A system role's name can't be changed.", "SYSTEM_ROLE");
  if (input.description !== undefined && (input.description || null) !== role.description) {
    throw fieldError("description", "A system role's description can't be changed.", "SYSTEM_ROLE");
  }
  if (!input.permissions) return;
  const declaredNow = role.permissions.filter(isDeclaredPermission).sort();
  const declaredAsked = [...new Set(input.permissions.filter(isDeclaredPermission))].sort();
  if (declaredNow.join() !== declaredAsked.join()) {
    throw fieldError("permissions", "A system role's permissions declared in code can't be changed here; only custom ones.", "SYSTEM_ROLE");
  }
}

async function audit(ctx: AdminCtx, tx: Context["db"], action: string, targetType: string, targetId: string, details: Record<string, unknown> = {}) {
  await recordAuditEvent(ctx, { action, outcome: "success", actorUserId: ctx.user.id, actorSessionId: ctx.session.id, targetType, targetId, details }, tx);
}

function roleResult(row: { key: string; name: string; description: string | null; permissions: string[]; isSystem: boolean }) {
  return { key: row.key, name: row.name, description: row.description, permissions: row.permissions, isSystem: row.isSystem };
}

const roleColumns = { key: roles.key, name: roles.name, description: roles.description, permissions: roles.permissions, isSystem: roles.isSystem };

export const roleRouter = {
  /**
   * Every role for the admin console: system roles first, then custom ones by key, each with its permissions and how
   * many memberships hold it (a held role can't be deleted).
   */
  list: instanceAdminProcedure.query(async ({ ctx }) => {
    const rows = await ctx.db
      .select({ ...roleColumns, holders: sql<number>`(select count(*)::int from membership_roles mr where mr.role_id = "roles"."id")` })
      .from(roles)
      .orderBy(desc(roles.isSystem), asc(roles.key));
    return rows.map((row) => ({ ...roleResult(row), holders: Number(row.holders) }));
  }),

  create: instanceAdminProcedure
    .input(z.object({ key: customRoleKeySchema, name: roleNameSchema, description: descriptionSchema, permissions: permissionsSchema }))
    .mutation(async ({ ctx, input }) => {
      try {
        return await ctx.db.transaction(async (tx) => {
          const permissions = await requireKnownPermissions(tx, input.permissions);
          const now = ctx.now();
          const [role] = await tx
            .insert(roles)
            .values({ key: input.key, name: input.name, description: input.description || null, permissions, isSystem: false, createdAt: now, updatedAt: now })
            .returning(roleColumns);
          await audit(ctx, tx, "role.created", "role", input.key, { permissions });
          return roleResult(role!);
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw new ApiError({ code: "CONFLICT", reason: "ALREADY_EXISTS", field: "key", message: "key: A role with that key exists." });
        throw error;
      }
    }),

  /**
   * Changes a role; its holders' rights follow in the same transaction. On a system role only custom permissions may
   * be added or removed (`requireSystemRoleChange`).
   */
  update: instanceAdminProcedure
    .input(z.object({ key: roleKeySchema, name: roleNameSchema.optional(), description: descriptionSchema, permissions: permissionsSchema.optional() }))
    .mutation(async ({ ctx, input }) => {
      return ctx.db.transaction(async (tx) => {
        const role = await requireRoleForUpdate(tx, input.key);
        if (role.isSystem) requireSystemRoleChange(role, input);
        const permissions = input.permissions ? await requireKnownPermissions(tx, input.permissions) : undefined;
        const [updated] = await tx
          .update(roles)
          .set({
            ...(input.name !== undefined ? { name: input.name } : {}),
            ...(input.description !== undefined ? { description: input.description || null } : {}),
            ...(permissions ? { permissions } : {}),
            updatedAt: ctx.now(),
          })
          .where(eq(roles.id, role.id))
          .returning(roleColumns);
        await audit(ctx, tx, "role.updated", "role", input.key, { ...(permissions ? { permissions } : {}) });
        return roleResult(updated!);
      });
    }),

  /** Deletes a custom role nobody holds and no invitation names. */
  delete: instanceAdminProcedure
    .input(z.object({ key: roleKeySchema }))
    .mutation(async ({ ctx, input }) => {
      return ctx.db.transaction(async (tx) => {
        const role = await requireCustomRole(tx, input.key);
        const [held] = await tx.select({ n: sql<number>`count(*)::int` }).from(membershipRoles).where(eq(membershipRoles.roleId, role.id));
        const [invited] = await tx.select({ n: sql<number>`count(*)::int` }).from(invitations).where(eq(invitations.roleId, role.id));
        if (Number(held?.n ?? 0) > 0 || Number(invited?.n ?? 0) > 0) {
          throw new ApiError({ code: "CONFLICT", reason: "ROLE_IN_USE", message: "Members hold this role or invitations name it; give them another role first." });
        }
        await tx.delete(roles).where(eq(roles.id, role.id));
        await audit(ctx, tx, "role.deleted", "role", input.key);
        return { key: input.key };
      });
    }),

  /** Every permission a role can hold: system, app and custom, with names where known. */
  permissions: instanceAdminProcedure.query(async ({ ctx }) => {
    const custom = await ctx.db
      .select({ key: customPermissions.key, name: customPermissions.name, description: customPermissions.description })
      .from(customPermissions)
      .orderBy(customPermissions.key);
    return {
      system: [...allSystemPermissions],
      app: [...allAppPermissions],
      custom,
    };
  }),

  createPermission: instanceAdminProcedure
    .input(
      z.object({
        key: permissionKeySchema.refine((key) => !key.startsWith("org:sys_"), "org:sys_… permissions belong to Latchkey.").refine((key) => !knownPermissions.has(key), "That permission already exists."),
        name: roleNameSchema,
        description: descriptionSchema,
      }),
    )
    .mutation(async ({ ctx, input }) => {
      try {
        return await ctx.db.transaction(async (tx) => {
          const [row] = await tx
            .insert(customPermissions)
            .values({ key: input.key, name: input.name, description: input.description || null, createdAt: ctx.now() })
            .returning({ key: customPermissions.key, name: customPermissions.name, description: customPermissions.description });
          await audit(ctx, tx, "permission.created", "permission", input.key);
          return row!;
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw new ApiError({ code: "CONFLICT", reason: "ALREADY_EXISTS", field: "key", message: "key: That permission already exists." });
        throw error;
      }
    }),

  /** Deletes a custom permission no role grants. */
  deletePermission: instanceAdminProcedure
    .input(z.object({ key: permissionKeySchema }))
    .mutation(async ({ ctx, input }) => {
      return ctx.db.transaction(async (tx) => {
        const [row] = await tx.select({ key: customPermissions.key }).from(customPermissions).where(eq(customPermissions.key, input.key)).for("update");
        if (!row) throw new ApiError({ code: "NOT_FOUND", reason: "NOT_FOUND", message: "No such custom permission." });
        const [using] = await tx.select({ n: sql<number>`count(*)::int` }).from(roles).where(sql`${input.key} = any(${roles.permissions})`);
        if (Number(using?.n ?? 0) > 0) {
          throw new ApiError({ code: "CONFLICT", reason: "PERMISSION_IN_USE", message: "A role grants this permission; remove it from the role first." });
        }
        await tx.delete(customPermissions).where(eq(customPermissions.key, input.key));
        await audit(ctx, tx, "permission.deleted", "permission", input.key);
        return { key: input.key };
      });
    }),
} satisfies TRPCRouterRecord;
