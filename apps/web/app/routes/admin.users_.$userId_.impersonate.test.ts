/** The impersonate page and the banner's stop route against a real (in-memory) database, as the server runs them. */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { describe, expect, test } from "vitest";
import { createRouteHarness } from "~/test/route-harness";

const harness = createRouteHarness();

async function userIdOf(email: string): Promise<string> {
  const [row] = await harness.db().query<{ user_id: string }>(`select user_id from email_addresses where email = '${email}'`);
  return row!.user_id;
}

async function instanceAdmin() {
  const admin = await harness.signUp("imp-root");
  await harness.db().query(`update users set is_instance_admin = true where id = '${await userIdOf(admin.email)}'`);
  return admin;
}

function cookieValue(response: Response, name: string): string | null {
  for (const cookie of response.headers.getSetCookie()) {
    const match = new RegExp(`^${name}=([^;]*)`).exec(cookie);
    if (match) return decodeURIComponent(match[1]!);
  }
  return null;
}

// Each test signs up (argon2 hashing), slow on a busy machine.
describe("/admin/users/:userId/impersonate", { timeout: 60_000 }, () => {
  test("starts viewing as the user with a reason, goes home, and the stop route returns to the admin", async () => {
    const admin = await instanceAdmin();
    const user = await harness.signUp("imp-viewed");
    const userId = await userIdOf(user.email);
    const { loader, action } = await import("./admin.users_.$userId_.impersonate");
    const request = new Request(`http://localhost:3000/admin/users/${userId}/impersonate`, { headers: { cookie: `latchkey_session=${admin.token}` } });
    const page = await loader({ request, context: {}, params: { userId } } as unknown as LoaderFunctionArgs);
    expect(page).toMatchObject({ user: { id: userId, email: user.email }, refusal: null });

    const started = await harness.run(action, harness.formPost(`/admin/users/${userId}/impersonate`, admin.token, { intent: "start", reason: "Ticket 12: sees no projects" }), { userId });
    expect(started.status).toBe(302);
    expect(started.headers.get("Location")).toBe("/");
    const viewing = cookieValue(started, "latchkey_session")!;
    expect(cookieValue(started, "latchkey_impersonator")).toBe(admin.token);
    const [session] = await harness.db().query<{ user_id: string }>(`select user_id from sessions where id = '${viewing.split(".")[0]}'`);
    expect(session!.user_id).toBe(userId);

    // The root loader gives every page the banner's data, and nothing in the admin's own session.
    const { loader: rootLoader } = await import("~/root");
    const rootArgs = (cookie: string) => ({ request: new Request("http://localhost:3000/", { headers: { cookie } }), context: {}, params: {} }) as unknown as LoaderFunctionArgs;
    const root = await rootLoader(rootArgs(`latchkey_session=${viewing}; latchkey_impersonator=${admin.token}`));
    expect(root.impersonation).toMatchObject({ userLabel: user.email, userId, adminLabel: admin.email });
    expect(root.impersonation!.endsAt).toMatch(/^\d\d:\d\d UTC$/);
    expect(JSON.stringify(root)).not.toContain(admin.token);
    expect((await rootLoader(rootArgs(`latchkey_session=${admin.token}`))).impersonation).toBeNull();

    const { action: stop } = await import("./impersonation.stop");
    const stopRequest = new Request("http://localhost:3000/impersonation/stop", {
      method: "POST",
      headers: { cookie: `latchkey_session=${viewing}; latchkey_impersonator=${admin.token}` },
    });
    const stopped = await harness.run(stop, stopRequest);
    expect(stopped.status).toBe(302);
    expect(stopped.headers.get("Location")).toBe(`/admin/users/${userId}`);
    expect(cookieValue(stopped, "latchkey_session")).toBe(admin.token);
    expect(await harness.db().query(`select 1 from sessions where id = '${viewing.split(".")[0]}'`)).toEqual([]);
  });

  test("answers a missing or too short reason with 400 on the reason field, starting nothing", async () => {
    const admin = await instanceAdmin();
    const user = await harness.signUp("imp-noreason");
    const userId = await userIdOf(user.email);
    const { action } = await import("./admin.users_.$userId_.impersonate");
    const before = (await harness.db().query<{ n: number }>("select count(*)::int as n from sessions"))[0]!.n;
    for (const reason of ["", "ok"]) {
      const response = await harness.run(action, harness.formPost(`/admin/users/${userId}/impersonate`, admin.token, { intent: "start", reason }), { userId });
      expect(response.status).toBe(400);
      expect((await response.json()).fieldErrors).toEqual({ reason: { key: "impersonation.errors.reason" } });
    }
    expect((await harness.db().query<{ n: number }>("select count(*)::int as n from sessions"))[0]!.n).toBe(before);
  });

  test("shows why an instance admin can't be viewed as, and refuses the post", async () => {
    const admin = await instanceAdmin();
    const other = await instanceAdmin();
    const otherId = await userIdOf(other.email);
    const { loader, action } = await import("./admin.users_.$userId_.impersonate");
    const request = new Request(`http://localhost:3000/admin/users/${otherId}/impersonate`, { headers: { cookie: `latchkey_session=${admin.token}` } });
    const page = await loader({ request, context: {}, params: { userId: otherId } } as unknown as LoaderFunctionArgs);
    expect(page.refusal).toBe("instance_admin");
    const response = await harness.run(action, harness.formPost(`/admin/users/${otherId}/impersonate`, admin.token, { intent: "start", reason: "Looking around" }), { userId: otherId });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ fieldErrors: { userId: { key: "impersonation.errors.notAllowed" } } });
  });

  test("is refused to a signed-in user who is not an instance admin, and unknown users are 404", async () => {
    const plain = await harness.signUp("imp-plain");
    const victim = await harness.signUp("imp-victim");
    const victimId = await userIdOf(victim.email);
    const { action, loader } = await import("./admin.users_.$userId_.impersonate");
    const refused = await harness.run(action, harness.formPost(`/admin/users/${victimId}/impersonate`, plain.token, { intent: "start", reason: "Let me in" }), { userId: victimId });
    expect(refused.status).toBe(403);
    expect(await harness.db().query(`select 1 from sessions where impersonator_user_id is not null and user_id = '${victimId}'`)).toEqual([]);
    const admin = await instanceAdmin();
    for (const userId of ["user_nobodyhere", "not an id"]) {
      const request = new Request(`http://localhost:3000/admin/users/x/impersonate`, { headers: { cookie: `latchkey_session=${admin.token}` } });
      const thrown = await loader({ request, context: {}, params: { userId } } as unknown as LoaderFunctionArgs).catch((e: unknown) => e);
      expect((thrown as Response).status).toBe(404);
    }
  });
});
