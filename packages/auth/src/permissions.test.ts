import { describe, expect, it } from "vitest";
import {
  allAppPermissions,
  appPermissions,
  allSystemPermissions,
  authorize,
  defaultRolePermissions,
  hasAnyRole,
  isPermission,
  isRoleKey,
  isSystemPermission,
  type Permission,
  systemPermissions,
  systemRoleKeys,
  unionPermissions,
} from "./permissions.ts";

const asPermission = (value: string) => value as Permission;

describe("isPermission", () => {
  it("accepts well-formed org:<feature>:<action> strings", () => {
    for (const value of ["org:projects:read", "org:sys_memberships:manage", "org:a:b", "org:invoices_v2:export"]) {
      expect(isPermission(value), value).toBe(true);
    }
  });

  it("rejects malformed strings and non-strings", () => {
    const bad = [
      "org:projects",
      "projects:read",
      "org:Projects:read",
      "org:projects:Read",
      "org:projects:read:extra",
      "user:projects:read",
      "ORG:projects:read",
      "org::read",
      "org:projects:",
      "org:1projects:read",
      "org:_projects:read",
      "org:pro-jects:read",
      "org:projects:read ",
      " org:projects:read",
      "org:projects:read\n",
      `org:${"a".repeat(65)}:read`,
      "",
    ];
    for (const value of bad) expect(isPermission(value), JSON.stringify(value)).toBe(false);
    for (const value of [null, undefined, 42, {}, ["org:projects:read"]]) expect(isPermission(value)).toBe(false);
  });

  it("accepts a segment of exactly 64 characters", () => {
    expect(isPermission(`org:${"a".repeat(64)}:read`)).toBe(true);
  });
});

describe("isRoleKey", () => {
  it("accepts org:<name> and rejects everything else", () => {
    expect(isRoleKey("org:admin")).toBe(true);
    expect(isRoleKey("org:billing_manager")).toBe(true);
    for (const value of ["admin", "org:", "org:Admin", "org:admin:x", "role:admin", "org:admin ", "", null, 1]) {
      expect(isRoleKey(value), JSON.stringify(value)).toBe(false);
    }
  });
});

describe("isSystemPermission", () => {
  it("is true only for well-formed sys_ permissions", () => {
    expect(isSystemPermission("org:sys_profile:manage")).toBe(true);
    expect(isSystemPermission("org:projects:read")).toBe(false);
    expect(isSystemPermission("org:sys_profile")).toBe(false);
    expect(isSystemPermission("sys_profile:manage")).toBe(false);
  });
});

describe("authorize", () => {
  const grants = new Set(["org:projects:read", "org:sys_memberships:read"]);

  it("a granted permission is allowed and a missing one denied", () => {
    expect(authorize(grants, "org:projects:read")).toBe(true);
    expect(authorize(grants, "org:projects:manage")).toBe(false);
  });

  it("accepts grants as an array as well as a set", () => {
    expect(authorize(["org:projects:read"], "org:projects:read")).toBe(true);
    expect(authorize(["org:projects:read"], "org:projects:manage")).toBe(false);
  });

  it("fails closed on null, undefined or empty grants", () => {
    expect(authorize(null, "org:projects:read")).toBe(false);
    expect(authorize(undefined, "org:projects:read")).toBe(false);
    expect(authorize([], "org:projects:read")).toBe(false);
    expect(authorize(new Set(), "org:projects:read")).toBe(false);
  });

  it("fails closed on an empty requirement list", () => {
    expect(authorize(grants, [])).toBe(false);
    expect(authorize(new Set(allSystemPermissions), [])).toBe(false);
  });

  it("fails closed on a malformed requirement, even when the same string was granted", () => {
    for (const bad of ["org:projects", "projects:read", "org:Projects:read", ""]) {
      expect(authorize(new Set([bad, "org:projects:read"]), asPermission(bad)), bad).toBe(false);
      expect(authorize([bad], [asPermission(bad)]), bad).toBe(false);
    }
  });

  it("several requirements must all be granted", () => {
    expect(authorize(grants, ["org:projects:read", "org:sys_memberships:read"])).toBe(true);
    expect(authorize(grants, ["org:projects:read", "org:projects:manage"])).toBe(false);
    expect(authorize(grants, ["org:projects:read", asPermission("org:projects")])).toBe(false);
  });

  it("a grant does not imply a neighbouring permission", () => {
    expect(authorize(["org:projects:manage"], "org:projects:read")).toBe(false);
    expect(authorize(["org:sys_memberships:manage"], "org:sys_memberships:read")).toBe(false);
  });
});

describe("unionPermissions", () => {
  it("a member with several roles holds the union of their permissions", () => {
    const rights = unionPermissions([["org:projects:read"], ["org:projects:manage", "org:sys_domains:read"], []]);
    expect([...rights].sort()).toEqual(["org:projects:manage", "org:projects:read", "org:sys_domains:read"]);
    expect(authorize(rights, ["org:projects:read", "org:projects:manage", "org:sys_domains:read"])).toBe(true);
  });

  it("drops malformed permissions stored on a role", () => {
    const rights = unionPermissions([["org:projects:read", "org:projects", "ORG:x:y", "*"]]);
    expect([...rights]).toEqual(["org:projects:read"]);
  });

  it("no roles means no rights", () => {
    const rights = unionPermissions([]);
    expect(rights.size).toBe(0);
    expect(authorize(rights, "org:projects:read")).toBe(false);
  });
});

describe("hasAnyRole", () => {
  it("any one of the listed roles suffices", () => {
    expect(hasAnyRole(["org:member"], ["org:admin", "org:member"])).toBe(true);
    expect(hasAnyRole(["org:admin"], "org:admin")).toBe(true);
    expect(hasAnyRole(["org:member"], "org:admin")).toBe(false);
  });

  it("fails closed on no roles held or none required", () => {
    expect(hasAnyRole(null, "org:admin")).toBe(false);
    expect(hasAnyRole(undefined, "org:admin")).toBe(false);
    expect(hasAnyRole([], "org:admin")).toBe(false);
    expect(hasAnyRole(["org:admin"], [])).toBe(false);
  });

  it("a malformed required role is never matched, even if held", () => {
    expect(hasAnyRole(["admin"], "admin" as "org:admin")).toBe(false);
    expect(hasAnyRole(["org:Admin"], "org:Admin")).toBe(false);
  });
});

describe("defaultRolePermissions", () => {
  it("the system roles are admin and member", () => {
    expect([...systemRoleKeys]).toEqual(["org:admin", "org:member"]);
    expect(Object.keys(defaultRolePermissions).sort()).toEqual(["org:admin", "org:member"]);
  });

  it("admin holds every system and app permission", () => {
    const admin = new Set(defaultRolePermissions["org:admin"]);
    for (const permission of [...allSystemPermissions, ...allAppPermissions]) {
      expect(admin.has(permission), permission).toBe(true);
    }
    expect(authorize(admin, allSystemPermissions)).toBe(true);
  });

  it("member can read but not manage memberships", () => {
    const member = new Set(defaultRolePermissions["org:member"]);
    expect(authorize(member, "org:sys_memberships:read")).toBe(true);
    expect(authorize(member, "org:sys_memberships:manage")).toBe(false);
    expect(authorize(member, "org:sys_domains:manage")).toBe(false);
    expect(authorize(member, "org:sys_profile:delete")).toBe(false);
  });

  it("every default permission is well formed", () => {
    for (const list of Object.values(defaultRolePermissions)) {
      for (const permission of list) expect(isPermission(permission), permission).toBe(true);
    }
  });

  it("the permission lists are the typed tables flattened", () => {
    const count = (table: Record<string, readonly string[]>) => Object.values(table).flat().length;
    expect(allSystemPermissions).toHaveLength(count(systemPermissions));
    expect(allAppPermissions).toHaveLength(count(appPermissions));
    expect(allSystemPermissions).toContain("org:sys_memberships:manage");
    for (const permission of allSystemPermissions) expect(isSystemPermission(permission), permission).toBe(true);
    for (const permission of allAppPermissions) expect(isSystemPermission(permission), permission).toBe(false);
  });
});
