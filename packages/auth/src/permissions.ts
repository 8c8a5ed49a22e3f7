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
/** Every permission the code knows of. Custom permissions created at run time are plain `org:x:y` strings. */
export type KnownPermission = SystemPermission | AppPermission;
export type Permission = KnownPermission | `org:${string}:${string}`;

export const systemRoleKeys = ["org:admin", "org:member"] as const;
export type SystemRoleKey = (typeof systemRoleKeys)[number];
export type RoleKey = SystemRoleKey | `org:${string}`;

const segment = /^[a-z][a-z0-9_]{0,63}$/;

/** True for a well-formed `org:<feature>:<action>` string. */
export function isPermission(value: unknown): value is Permission {
  if (typeof value !== "string") return false;
  const parts = value.split(":");
  return parts.length === 3 && parts[0] === "org" && segment.test(parts[1]!) && segment.test(parts[2]!);
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

/** What the system roles hold on a fresh instance; the first migration writes the same into `roles`. */
export const defaultRolePermissions: Record<SystemRoleKey, readonly KnownPermission[]> = {
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
  required: Permission | readonly Permission[],
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
