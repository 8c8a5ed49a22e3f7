/** The admin organization pages' loaders and actions against a real (in-memory) database, as the server runs them. */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { describe, expect, test } from "vitest";
import { createRouteHarness } from "~/test/route-harness";

const harness = createRouteHarness();

async function instanceAdmin() {
  const { token } = await harness.signUp("orgs-root");
  const [me] = await harness.db().query<{ user_id: string }>(`select user_id from sessions order by created_at desc limit 1`);
  await harness.db().query(`update users set is_instance_admin = true where id = '${me!.user_id}'`);
  return token;
}

async function createOrg(name: string) {
  const { token } = await harness.signUp("orgs-owner");
  const slug = `${name.toLowerCase().replace(/[^a-z0-9]+/g, "-")}-${Math.random().toString(36).slice(2, 7)}`;
  return harness.api(token).caller.organization.create({ name, slug });
}

function get(path: string, token: string, params: Record<string, string> = {}) {
  const request = new Request(`http://localhost:3000${path}`, { headers: { cookie: `latchkey_session=${token}` } });
  return { request, context: {}, params } as unknown as LoaderFunctionArgs;
}

async function thrownBy(promise: Promise<unknown>): Promise<Response> {
  try {
    await promise;
  } catch (thrown) {
    if (thrown instanceof Response) return thrown;
    throw thrown;
  }
  throw new Error("expected a thrown response");
}

// Each test signs up (argon2 hashing), slow on a busy machine.
describe("/admin/organizations", { timeout: 60_000 }, () => {
  test("searches by name prefix and links to the next page", async () => {
    const token = await instanceAdmin();
    const word = `Quokka${Math.random().toString(36).slice(2, 6)}`;
    for (let i = 0; i < 26; i += 1) await createOrg(`${word} ${i}`);
    const { loader } = await import("./admin.organizations");
    const page = await loader(get(`/admin/organizations?q=${word.toLowerCase()}`, token));
    expect(page.organizations).toHaveLength(25);
    expect(page.organizations[0]!.name).toBe(`${word} 25`);
    expect(page.nextCursor).toEqual(expect.any(String));
    const second = await loader(get(`/admin/organizations?q=${word}&cursor=${page.nextCursor}`, token));
    expect(second.organizations.map((o) => o.name)).toEqual([`${word} 0`]);
    const stale = await loader(get(`/admin/organizations?cursor=garbage`, token));
    expect(stale.error).toBe("adminOrgs.errors.cursor");
  });

  test("is refused to a signed-in user who is not an instance admin", async () => {
    const { token } = await harness.signUp("plain");
    const { loader } = await import("./admin.organizations");
    expect((await thrownBy(loader(get("/admin/organizations", token)))).status).toBe(403);
  });
});

describe("/admin/organizations/:organizationId", { timeout: 60_000 }, () => {
  test("sets a membership limit, refuses a bad one on its field, and deletes after the slug is typed", async () => {
    const token = await instanceAdmin();
    const org = await createOrg("Detail Page");
    const { action, loader } = await import("./admin.organizations_.$organizationId");
    const path = `/admin/organizations/${org.id}`;
    const params = { organizationId: org.id };

    const saved = await harness.run(action, harness.formPost(path, token, { intent: "limit", maxMemberships: "5" }), params);
    expect(saved.status).toBe(302);
    expect(saved.headers.get("Location")).toBe(`${path}?done=limitSaved`);
    const detail = await loader(get(`${path}?done=limitSaved`, token, params));
    expect(detail.membershipLimit).toMatchObject({ own: 5, effective: 5, members: 1 });
    expect(detail.done).toBe("adminOrgs.done.limitSaved");

    const bad = await harness.run(action, harness.formPost(path, token, { intent: "limit", maxMemberships: "lots" }), params);
    expect(bad.status).toBe(400);
    expect((await bad.json()).fieldErrors).toEqual({ maxMemberships: { key: "adminOrgs.errors.limit" } });

    const cleared = await harness.run(action, harness.formPost(path, token, { intent: "limit", maxMemberships: "" }), params);
    expect(cleared.headers.get("Location")).toBe(`${path}?done=limitCleared`);

    const wrong = await harness.run(action, harness.formPost(path, token, { intent: "delete", confirmation: "Detail Page" }), params);
    expect(wrong.status).toBe(400);
    expect((await wrong.json()).fieldErrors).toEqual({ confirmation: { key: "adminOrgs.errors.confirmation" } });

    const deleted = await harness.run(action, harness.formPost(path, token, { intent: "delete", confirmation: org.slug }), params);
    expect(deleted.headers.get("Location")).toBe("/admin/organizations?done=deleted");
    expect(await harness.db().query(`select id from organizations where id = '${org.id}'`)).toEqual([]);
    expect((await thrownBy(loader(get(path, token, params)))).status).toBe(404);
  });

  test("is refused to a signed-in user who is not an instance admin, changing nothing", async () => {
    const org = await createOrg("Not Yours");
    const { token } = await harness.signUp("plain");
    const { action, loader } = await import("./admin.organizations_.$organizationId");
    const path = `/admin/organizations/${org.id}`;
    const params = { organizationId: org.id };
    expect((await thrownBy(loader(get(path, token, params)))).status).toBe(403);
    const refused = await harness.run(action, harness.formPost(path, token, { intent: "delete", confirmation: org.slug }), params);
    expect(refused.status).toBe(403);
    expect(await harness.db().query(`select id from organizations where id = '${org.id}'`)).toHaveLength(1);
  });
});
