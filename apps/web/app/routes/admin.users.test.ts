/** The admin users pages (list, detail, export) against a real in-memory database, as the server runs them. */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { describe, expect, test } from "vitest";
import { createRouteHarness } from "~/test/route-harness";

const harness = createRouteHarness();

async function instanceAdmin() {
  const { token, email } = await harness.signUp("users-root");
  const [me] = await harness.db().query<{ user_id: string }>(`select user_id from email_addresses where email = '${email}'`);
  await harness.db().query(`update users set is_instance_admin = true where id = '${me!.user_id}'`);
  return { token, userId: me!.user_id };
}

async function someone(label: string) {
  const { token, email } = await harness.signUp(label);
  const [row] = await harness.db().query<{ user_id: string }>(`select user_id from email_addresses where email = '${email}'`);
  return { token, email, userId: row!.user_id };
}

async function load<T>(loader: (args: LoaderFunctionArgs) => Promise<T>, path: string, token: string, params: Record<string, string> = {}) {
  const request = new Request(`http://localhost:3000${path}`, { headers: { cookie: `latchkey_session=${token}` } });
  try {
    return { page: await loader({ request, context: {}, params } as unknown as LoaderFunctionArgs) };
  } catch (thrown) {
    if (thrown instanceof Response) return { thrown };
    throw thrown;
  }
}

// Each test signs up (argon2 hashing), slow on a busy machine.
describe("/admin/users", { timeout: 60_000 }, () => {
  test("is refused to a signed-in user who is not an instance admin, list and detail alike", async () => {
    const plain = await someone("plain");
    const { loader } = await import("./admin.users");
    expect((await load(loader, "/admin/users", plain.token)).thrown?.status).toBe(403);
    const detail = await import("./admin.users_.$userId");
    expect((await load(detail.loader, `/admin/users/${plain.userId}`, plain.token, { userId: plain.userId })).thrown?.status).toBe(403);
    const response = await harness.run(detail.action, harness.formPost(`/admin/users/${plain.userId}`, plain.token, { intent: "ban" }), { userId: plain.userId });
    expect(response.status).toBe(403);
    const [row] = await harness.db().query<{ banned_at: string | null }>(`select banned_at from users where id = '${plain.userId}'`);
    expect(row!.banned_at).toBeNull();
  });

  test("finds a user by address prefix, pages with a cursor link, and starts over on a bad cursor", async () => {
    const admin = await instanceAdmin();
    const target = await someone("findme");
    const { loader } = await import("./admin.users");
    const found = await load(loader, `/admin/users?q=${encodeURIComponent(target.email.slice(0, 12))}`, admin.token);
    expect(found.page!.users.map((u) => u.id)).toEqual([target.userId]);

    const first = await load(loader, "/admin/users?sort=oldest", admin.token);
    expect(first.page!.users.length).toBeGreaterThan(0);
    const all = await harness.db().query<{ n: number }>("select count(*)::int as n from users where deleted_at is null");
    if (all[0]!.n > 25) expect(first.page!.nextHref).toContain("cursor=");

    const bad = await load(loader, "/admin/users?cursor=garbage", admin.token);
    expect(bad.page!.badCursor).toBe(true);
    expect(bad.page!.users.length).toBeGreaterThan(0);
  });

  test("bans and unbans from the detail page, shows JSON errors per metadata field, and deletes only when confirmed", async () => {
    const admin = await instanceAdmin();
    const target = await someone("detail");
    const detail = await import("./admin.users_.$userId");
    const params = { userId: target.userId };
    const post = (fields: Record<string, string>) => harness.run(detail.action, harness.formPost(`/admin/users/${target.userId}`, admin.token, fields), params);

    const banned = await post({ intent: "ban" });
    expect(banned.status).toBe(302);
    expect(banned.headers.get("Location")).toBe(`/admin/users/${target.userId}?done=banned`);
    const page = await load(detail.loader, `/admin/users/${target.userId}?done=banned`, admin.token, params);
    expect(page.page!.user.bannedAt).not.toBeNull();
    expect(page.page!.done).toBe("adminUsers.done.banned");
    expect((await post({ intent: "unban" })).headers.get("Location")).toContain("done=unbanned");

    const badJson = await post({ intent: "metadata", publicMetadata: "{not json", privateMetadata: "[1]", unsafeMetadata: "{}" });
    expect(badJson.status).toBe(400);
    const body = (await badJson.json()) as { fieldErrors: Record<string, { key: string }> };
    expect(body.fieldErrors).toEqual({ publicMetadata: { key: "adminUsers.metadata.invalidJson" }, privateMetadata: { key: "adminUsers.metadata.notObject" } });
    const saved = await post({ intent: "metadata", publicMetadata: '{"plan": "pro"}', privateMetadata: "{}", unsafeMetadata: "" });
    expect(saved.headers.get("Location")).toContain("done=metadata");
    const [meta] = await harness.db().query<{ public_metadata: unknown }>(`select public_metadata from users where id = '${target.userId}'`);
    expect(meta!.public_metadata).toEqual({ plan: "pro" });

    const badMinutes = await post({ intent: "lock", minutes: "0" });
    expect(badMinutes.status).toBe(400);

    const unconfirmed = await post({ intent: "delete" });
    expect(unconfirmed.status).toBe(400);
    const deleted = await post({ intent: "delete", confirm: "yes" });
    expect(deleted.headers.get("Location")).toBe("/admin/users?done=deleted");
    const [row] = await harness.db().query<{ deleted_at: string | null }>(`select deleted_at from users where id = '${target.userId}'`);
    expect(row!.deleted_at).not.toBeNull();
    expect((await load(detail.loader, `/admin/users/${target.userId}`, admin.token, params)).thrown?.status).toBe(404);
  });

  test("exports a user's data as a JSON attachment without secrets", async () => {
    const admin = await instanceAdmin();
    const target = await someone("export");
    const { loader } = await import("./admin.users_.$userId_.export");
    const { page } = await load(loader, `/admin/users/${target.userId}/export`, admin.token, { userId: target.userId });
    const response = page as Response;
    expect(response.headers.get("Content-Disposition")).toBe(`attachment; filename="${target.userId}.json"`);
    const text = await response.text();
    expect(JSON.parse(text).user.id).toBe(target.userId);
    expect(text).not.toMatch(/argon2|secretHash|token/i);
  });
});
