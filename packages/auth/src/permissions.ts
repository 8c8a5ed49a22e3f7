/**
 * The permission model: one typed schema that feeds the database seed, the tRPC middleware, the session claims and
 * the client's `has()`. A permission reads `org:<feature>:<action>`; features starting with `sys_` are system
 * permissions that Latchkey itself checks. Add an app feature by adding a line to `appPermissions`.
 */

export const systemPermissions = {
  sys_profile: ["manage", "delete"],
  sys_memberships: ["read", "manage"],
  sys_domains: ["read", "manage"],
  /** The organization's audit log (`/org/:slug/audit` and its JSON Lines export). */
  sys_audit: ["read"],
} as const;

/** Permissions of the app built on Latchkey. `projects` is the example resource developers copy. */
export const appPermissions = {
  projects: ["read", "manage"],
} as const;

type PermissionsOf<T extends Record<string, readonly string[]>> = {
  [F in keyof T & string]: `org:${F}:${T[F][number]}`;
}[keyof T & string];

export type SystemPermission = PermissionsOf<typeof systemPermissions>;
export type AppPermission = PermissionsOf<typeof appPermissions>;
/**
 * Every permission the code declares, and nothing else: a misspelled one fails `tsc`. This is the type of every
 * permission written in code (procedures, `has`, `<Protect>`, `requireAuth`, route rules).
 */
export type Permission = SystemPermission | AppPermission;
/** @deprecated Same as `Permission`, which is now closed. */
export type KnownPermission = Permission;

declare const checked: unique symbol;
/**
 * A permission that exists only at run time (created by an instance admin in the admin console), or any permission
 * read from the database: a well-formed `org:<feature>:<action>` string that went through `isPermission` or
 * `customPermission`. Only data flows carry it (role tables, the admin console, a member's permission set); code
 * that checks a permission it knows of declares it in `appPermissions` and uses `Permission` instead.
 */
export type PermissionString = `org:${string}:${string}` & { readonly [checked]: "PermissionString" };
/** What a check accepts: a declared permission, or a checked run-time one. */
export type AnyPermission = Permission | PermissionString;

export const systemRoleKeys = ["org:admin", "org:member"] as const;
export type SystemRoleKey = (typeof systemRoleKeys)[number];
export type RoleKey = SystemRoleKey | `org:${string}`;

const segment = /^[a-z][a-z0-9_]{0,63}$/;

/** True for a well-formed `org:<feature>:<action>` string (declared in code or not). */
export function isPermission(value: unknown): value is AnyPermission {
  if (typeof value !== "string") return false;
  const parts = value.split(":");
  return parts.length === 3 && parts[0] === "org" && segment.test(parts[1]!) && segment.test(parts[2]!);
}

/** True for a permission declared in code (`systemPermissions` or `appPermissions`). */
export function isDeclaredPermission(value: unknown): value is Permission {
  return typeof value === "string" && declaredPermissions.has(value);
}

/**
 * A run-time permission for a check in code, e.g. `has({ permission: customPermission("org:reports:read") })`: the
 * escape hatch for a permission created in the admin console and not declared in `appPermissions`. Throws on a
 * malformed string. Prefer declaring the permission in `appPermissions`: then a typo fails `tsc`.
 */
export function customPermission(value: string): PermissionString {
  if (!isPermission(value)) throw new TypeError(`Not a permission (org:<feature>:<action>): ${JSON.stringify(value)}`);
  return value as PermissionString;
}

/** True for a well-formed role key `org:<name>`. */
export function isRoleKey(value: unknown): value is RoleKey {
  if (typeof value !== "string") return false;
  const parts = value.split(":");
  return parts.length === 2 && parts[0] === "org" && segment.test(parts[1]!);
}

export function isSystemPermission(permission: string): boolean {
  return isPermission(permission) && permission.split(":")[1]!.startsWith("sys_");
}

function flatten(table: Record<string, readonly string[]>): string[] {
  return Object.entries(table).flatMap(([feature, actions]) => actions.map((a) => `org:${feature}:${a}`));
}

export const allSystemPermissions = flatten(systemPermissions) as SystemPermission[];
export const allAppPermissions = flatten(appPermissions) as AppPermission[];
const declaredPermissions: ReadonlySet<string> = new Set([...allSystemPermissions, ...allAppPermissions]);

/**
 * What the system roles hold: the source of truth for their grants. `syncDeclaredPermissions` (run by `migrate()`, so
 * every database gets it) adds whatever is listed here and missing from the database; it never removes a grant, so
 * custom permissions an instance admin added to a system role stay.
 */
export const defaultRolePermissions: Record<SystemRoleKey, readonly Permission[]> = {
  "org:admin": [...allSystemPermissions, ...allAppPermissions],
  "org:member": ["org:sys_memberships:read", "org:projects:read"],
};

/** A member's rights: the union of the permissions of all their roles. */
export function unionPermissions(rolePermissions: Iterable<Iterable<string>>): ReadonlySet<string> {
  const set = new Set<string>();
  for (const list of rolePermissions) for (const p of list) if (isPermission(p)) set.add(p);
  return set;
}

/**
 * The pure authorization decision. Fails closed: a malformed requirement, an empty requirement list or a missing
 * grant all deny. With several required permissions, every one must be granted.
 */
export function authorize(
  granted: ReadonlySet<string> | readonly string[] | null | undefined,
  required: AnyPermission | readonly AnyPermission[],
): boolean {
  if (!granted) return false;
  const grants = granted instanceof Set ? granted : new Set(granted as readonly string[]);
  const needs = typeof required === "string" ? [required] : required;
  if (needs.length === 0) return false;
  return needs.every((p) => isPermission(p) && grants.has(p));
}

/** Role check with the same fail-closed rules: any one of the listed roles suffices. */
export function hasAnyRole(held: readonly string[] | null | undefined, required: RoleKey | readonly RoleKey[]): boolean {
  if (!held || held.length === 0) return false;
  const needs = typeof required === "string" ? [required] : required;
  if (needs.length === 0) return false;
  return needs.some((r) => isRoleKey(r) && held.includes(r));
}
