/** The admin role pages' loaders and actions against a real (in-memory) database, as the server runs them. */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { describe, expect, test } from "vitest";
import { createRouteHarness } from "~/test/route-harness";

const harness = createRouteHarness();

async function instanceAdmin() {
  const { token } = await harness.signUp("roles-root");
  const [me] = await harness.db().query<{ user_id: string }>(`select user_id from sessions order by created_at desc limit 1`);
  await harness.db().query(`update users set is_instance_admin = true where id = '${me!.user_id}'`);
  return token;
}

function get(path: string, token: string, params: Record<string, string> = {}) {
  const request = new Request(`http://localhost:3000${path}`, { headers: { cookie: `latchkey_session=${token}` } });
  return { request, context: {}, params } as unknown as LoaderFunctionArgs;
}

function post(path: string, token: string, fields: [string, string][]) {
  return new Request(`http://localhost:3000${path}`, {
    method: "POST",
    headers: { cookie: `latchkey_session=${token}`, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields),
  });
}

const suffix = () => Math.random().toString(36).slice(2, 7);

describe("/admin/roles", { timeout: 60_000 }, () => {
  test("shows system roles, creates a custom permission and a role holding it, and refuses a bad key on its field", async () => {
    const token = await instanceAdmin();
    const { action, loader } = await import("./admin.roles");
    const permission = `org:reports_${suffix()}:read`;
    const created = await harness.run(action, post("/admin/roles", token, [["intent", "createPermission"], ["key", permission], ["name", "Read reports"]]));
    expect(created.headers.get("Location")).toBe("/admin/roles?done=permissionCreated");

    const key = `org:analyst_${suffix()}`;
    const role = await harness.run(
      action,
      post("/admin/roles", token, [["intent", "createRole"], ["key", key], ["name", "Analyst"], ["permissions", permission], ["permissions", "org:sys_memberships:read"]]),
    );
    expect(role.headers.get("Location")).toBe(`/admin/roles/${encodeURIComponent(key)}?done=created`);

    const page = await loader(get("/admin/roles", token));
    expect(page.roles.filter((r) => r.isSystem).map((r) => r.key)).toEqual(["org:admin", "org:member"]);
    expect(page.roles.find((r) => r.key === key)).toMatchObject({ name: "Analyst", permissions: [permission, "org:sys_memberships:read"], holders: 0 });
    expect(page.permissions.custom.map((p) => p.key)).toContain(permission);

    const bad = await harness.run(action, post("/admin/roles", token, [["intent", "createRole"], ["key", "org:admin"], ["name", ""]]));
    expect(bad.status).toBe(400);
    expect((await bad.json()).fieldErrors).toEqual({ key: { key: "adminRoles.errors.key" }, name: { key: "adminRoles.errors.name" } });

    const inUse = await harness.run(action, post("/admin/roles", token, [["intent", "deletePermission"], ["key", permission]]));
    expect(inUse.status).toBe(409);
    expect((await inUse.json()).formError).toEqual({ key: "adminRoles.errors.permissionInUse" });
  });

  test("is refused to a signed-in user who is not an instance admin", async () => {
    const { token } = await harness.signUp("plain");
    const { action } = await import("./admin.roles");
    const refused = await harness.run(action, post("/admin/roles", token, [["intent", "createPermission"], ["key", "org:sneaky:read"], ["name", "Sneaky"]]));
    expect(refused.status).toBe(403);
    expect(await harness.db().query(`select key from custom_permissions where key = 'org:sneaky:read'`)).toEqual([]);
  });
});

describe("/admin/roles/:roleKey", { timeout: 60_000 }, () => {
  test("edits a custom role's name and permissions, then deletes it", async () => {
    const token = await instanceAdmin();
    const key = `org:editor_${suffix()}`;
    await harness.api(token).caller.role.create({ key, name: "Editor", permissions: ["org:projects:read"] });
    const { action, loader } = await import("./admin.roles_.$roleKey");
    const path = `/admin/roles/${encodeURIComponent(key)}`;
    const params = { roleKey: key };

    const saved = await harness.run(action, post(path, token, [["intent", "save"], ["name", "Chief editor"], ["description", ""], ["permissions", "org:projects:read"], ["permissions", "org:projects:manage"]]), params);
    expect(saved.headers.get("Location")).toBe(`${path}?done=saved`);
    const page = await loader(get(`${path}?done=saved`, token, params));
    expect(page.role).toMatchObject({ name: "Chief editor", permissions: ["org:projects:read", "org:projects:manage"], isSystem: false });
    expect(page.done).toBe("adminRoles.done.roleSaved");

    const unknown = await harness.run(action, post(path, token, [["intent", "save"], ["name", "X"], ["permissions", "org:nothing:here"]]), params);
    expect(unknown.status).toBe(400);
    expect((await unknown.json()).fieldErrors).toEqual({ permissions: { key: "adminRoles.errors.unknownPermission" } });

    const deleted = await harness.run(action, post(path, token, [["intent", "delete"]]), params);
    expect(deleted.headers.get("Location")).toBe("/admin/roles?done=roleDeleted");
    expect(await harness.db().query(`select key from roles where key = '${key}'`)).toEqual([]);
  });

  test("keeps a system role's name and declared permissions, lets custom ones be added and removed; refuses a non-admin", async () => {
    const token = await instanceAdmin();
    const { action, loader } = await import("./admin.roles_.$roleKey");
    const params = { roleKey: "org:member" };
    const page = await loader(get("/admin/roles/org%3Amember", token, params));
    expect(page.role.isSystem).toBe(true);
    const declared = page.role.permissions;
    const refused = await harness.run(action, post("/admin/roles/org%3Amember", token, [["intent", "save"], ["name", "Hacked"]]), params);
    expect(refused.status).toBe(400);
    expect(JSON.stringify(await refused.json())).toContain("adminRoles.errors.systemRole");

    // The system role's form sends its declared permissions (hidden) and the chosen custom ones.
    await harness.api(token).caller.role.createPermission({ key: "org:invoices:read", name: "Read invoices" });
    const fields = (extra: string[]): [string, string][] => [["intent", "save"], ["system", "1"], ...[...declared, ...extra].map((p): [string, string] => ["permissions", p])];
    const added = await harness.run(action, post("/admin/roles/org%3Amember", token, fields(["org:invoices:read"])), params);
    expect(added.status).toBe(302);
    expect((await loader(get("/admin/roles/org%3Amember", token, params))).role.permissions).toContain("org:invoices:read");
    const removed = await harness.run(action, post("/admin/roles/org%3Amember", token, fields([])), params);
    expect(removed.status).toBe(302);
    expect((await loader(get("/admin/roles/org%3Amember", token, params))).role.permissions.sort()).toEqual([...declared].sort());

    const { token: plain } = await harness.signUp("plain");
    const denied = await harness.run(action, post("/admin/roles/org%3Amember", plain, [["intent", "delete"]]), params);
    expect(denied.status).toBe(403);
  });
});
