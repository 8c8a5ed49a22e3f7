/**
 * The JWT templates page's actions against a real (in-memory) database: the form posts an admin makes, bad claims
 * answered with a message in the reader's language naming the claim, and nothing written for anyone else.
 */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { describe, expect, test } from "vitest";
import { createRouteHarness } from "~/test/route-harness";

const harness = createRouteHarness();

async function instanceAdmin() {
  const user = await harness.signUp("jwt-page");
  const [row] = await harness.db().query<{ user_id: string }>(`select user_id from email_addresses where email = '${user.email}'`);
  await harness.db().query(`update users set is_instance_admin = true where id = '${row!.user_id}'`);
  return user.token;
}

async function post(token: string, fields: Record<string, string>): Promise<Response> {
  const { action } = await import("./admin.jwt-templates");
  return harness.run(action, harness.formPost("/admin/jwt-templates", token, fields));
}

async function templates(): Promise<string[]> {
  return (await harness.db().query<{ name: string }>("select name from jwt_templates order by name")).map((r) => r.name);
}

describe("/admin/jwt-templates", { timeout: 30_000 }, () => {
  test("an instance admin creates a template, previews it, edits it and deletes it", async () => {
    const token = await instanceAdmin();
    const created = await post(token, { intent: "create", name: "supabase", lifetimeSeconds: "3600", claims: '{"aud":"authenticated","email":"{{user.primary_email_address}}"}' });
    expect(created.status).toBe(302);
    expect(created.headers.get("Location")).toBe("/admin/jwt-templates?preview=supabase");
    const { loader } = await import("./admin.jwt-templates");
    const request = new Request("http://localhost:3000/admin/jwt-templates?preview=supabase&edit=supabase", { headers: { cookie: `latchkey_session=${token}` } });
    const page = await loader({ request, context: {}, params: {} } as unknown as LoaderFunctionArgs);
    expect(page.templates.map((t) => t.name)).toEqual(["supabase"]);
    expect(JSON.parse(page.preview!.claims)).toMatchObject({ aud: "authenticated", email: expect.stringContaining("@example.test") });
    expect(page.editing).toMatchObject({ name: "supabase", lifetimeSeconds: 3600 });
    expect(Array.isArray(page.keys)).toBe(true);

    const updated = await post(token, { intent: "update", originalName: "supabase", name: "supa", lifetimeSeconds: "120", claims: '{"role":"authenticated"}' });
    expect(updated.status).toBe(302);
    expect(await templates()).toEqual(["supa"]);
    expect((await post(token, { intent: "delete", name: "supa" })).status).toBe(302);
    expect(await templates()).toEqual([]);
  });

  test("bad claims come back as a 400 naming the claim, in a message key, and nothing is written", async () => {
    const token = await instanceAdmin();
    const reserved = await post(token, { intent: "create", name: "bad", lifetimeSeconds: "60", claims: '{"sub":"me"}' });
    expect(reserved.status).toBe(400);
    expect((await reserved.json()).fieldErrors.claims).toEqual({ key: "jwtTemplates.errors.reserved", vars: { claim: "sub" } });
    const unknown = await post(token, { intent: "create", name: "bad", lifetimeSeconds: "60", claims: '{"x":{"y":"{{user.private_metadata.k}}"}}' });
    expect(unknown.status).toBe(400);
    expect((await unknown.json()).fieldErrors.claims).toEqual({
      key: "jwtTemplates.errors.placeholder",
      vars: { claim: "x.y", placeholder: "{{user.private_metadata.k}}" },
    });
    const notJson = await post(token, { intent: "create", name: "bad", lifetimeSeconds: "60", claims: "{nope" });
    expect((await notJson.json()).fieldErrors.claims).toEqual({ key: "jwtTemplates.errors.claims" });
    const lifetime = await post(token, { intent: "create", name: "bad", lifetimeSeconds: "5", claims: "{}" });
    expect(lifetime.status).toBe(400);
    expect((await lifetime.json()).fieldErrors.lifetimeSeconds).toEqual({ key: "jwtTemplates.errors.lifetime" });
    const name = await post(token, { intent: "create", name: "Bad Name", lifetimeSeconds: "60", claims: "{}" });
    expect((await name.json()).fieldErrors.name).toEqual({ key: "jwtTemplates.errors.name" });
    expect(await templates()).toEqual([]);
  });

  test("an admin rotates the signing key from the page", async () => {
    const token = await instanceAdmin();
    const before = await harness.db().query<{ id: string }>("select id from signing_keys where retired_at is null");
    const response = await post(token, { intent: "rotate", alg: "RS256" });
    expect(response.status).toBe(302);
    const [active] = await harness.db().query<{ id: string; alg: string }>("select id, alg from signing_keys where retired_at is null");
    expect(active!.alg).toBe("RS256");
    expect(active!.id).not.toBe(before[0]?.id);
    expect(response.headers.get("Location")).toBe(`/admin/jwt-templates?rotated=${active!.id}`);
  });

  test("a signed-in user who is not an instance admin is refused and changes nothing", async () => {
    const { token } = await harness.signUp("not-admin");
    const keys = await harness.db().query("select id from signing_keys");
    const response = await post(token, { intent: "create", name: "sneaky", lifetimeSeconds: "60", claims: "{}" });
    expect(response.status).toBe(403);
    expect((await post(token, { intent: "rotate", alg: "EdDSA" })).status).toBe(403);
    expect(await templates()).toEqual([]);
    expect(await harness.db().query("select id from signing_keys")).toEqual(keys);
  });
});
