/** The instance settings page's loader and action against a real (in-memory) database, as the server runs them. */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { afterEach, describe, expect, test } from "vitest";
import { createRouteHarness } from "~/test/route-harness";
import { action, loader } from "./admin.settings";

const harness = createRouteHarness();

afterEach(async () => {
  await harness.db().query(`delete from instance_settings`);
});

async function instanceAdmin() {
  const { token } = await harness.signUp("settings-root");
  const [me] = await harness.db().query<{ user_id: string }>(`select user_id from sessions order by created_at desc limit 1`);
  await harness.db().query(`update users set is_instance_admin = true where id = '${me!.user_id}'`);
  return token;
}

async function storedSettings(): Promise<Record<string, unknown>> {
  const [row] = await harness.db().query<{ settings: Record<string, unknown> }>(`select settings from instance_settings where id = 'default'`);
  return row?.settings ?? {};
}

const allMethods = {
  "signInMethods.password": "on",
  "signInMethods.emailCode": "on",
  "signInMethods.emailLink": "on",
  "signInMethods.passkey": "on",
  "signInMethods.oauth": "on",
};

// Each test signs up (argon2 hashing), slow on a busy machine.
describe("/admin/settings", { timeout: 60_000 }, () => {
  test("is refused to a signed-in user who is not an instance admin, and changes nothing", async () => {
    const { token } = await harness.signUp("plain");
    const response = await harness.run(action, harness.formPost("/admin/settings", token, { intent: "security", minPasswordLength: "20" }));
    expect(response.status).toBe(403);
    const request = new Request("http://localhost:3000/admin/settings", { headers: { cookie: `latchkey_session=${token}` } });
    const page = await Promise.resolve(loader({ request, context: {}, params: {} } as unknown as LoaderFunctionArgs)).then(
      () => new Response(null, { status: 200 }),
      (thrown: unknown) => thrown as Response,
    );
    expect(page.status).toBe(403);
    expect(await storedSettings()).toEqual({});
  });

  test("saves the sign-in methods section and redirects back with its status line", async () => {
    const token = await instanceAdmin();
    // An unchecked box is absent from the post.
    const fields = Object.fromEntries(Object.entries({ intent: "signInMethods", ...allMethods }).filter(([key]) => key !== "signInMethods.emailLink"));
    const response = await harness.run(action, harness.formPost("/admin/settings", token, fields));
    expect(response.status).toBe(302);
    expect(response.headers.get("Location")).toBe("/admin/settings?done=signInMethods");
    expect(await storedSettings()).toEqual({ signInMethods: { password: true, emailCode: true, emailLink: false, passkey: true, oauth: true } });
    const request = new Request("http://localhost:3000/admin/settings?done=signInMethods", { headers: { cookie: `latchkey_session=${token}` } });
    const page = await loader({ request, context: {}, params: {} } as unknown as LoaderFunctionArgs);
    expect(page.done).toBe("adminSettings.done.signInMethods");
    expect(page.settings.signInMethods.emailLink).toBe(false);
    // /sign-in reads the methods on its next load.
    const signIn = await import("./sign-in");
    const visitor = await signIn.loader({ request: new Request("http://localhost:3000/sign-in"), context: {}, params: {} } as unknown as LoaderFunctionArgs);
    expect(visitor.methods).toEqual({ password: true, emailCode: true, emailLink: false, passkey: true, oauth: true });
  });

  test("turns the sign-up form into lists, modes and fields, and the sessions form's number and unit into minutes", async () => {
    const token = await instanceAdmin();
    const signUp = await harness.run(
      action,
      harness.formPost("/admin/settings", token, {
        intent: "signUp",
        signUpMode: "waitlist",
        allowlist: "",
        blocklist: "spam.example\r\n\r\n  Eve@Example.org  \n",
        "signUpFields.username": "required",
        "signUpFields.firstName": "optional",
        "signUpFields.lastName": "hidden",
        "signUpFields.phone": "hidden",
        requireEmailVerification: "on",
      }),
    );
    expect(signUp.status).toBe(302);
    const sessions = await harness.run(
      action,
      harness.formPost("/admin/settings", token, { intent: "sessions", sessionIdleValue: "12", sessionIdleUnit: "hours", sessionLifetimeValue: "2", sessionLifetimeUnit: "days" }),
    );
    expect(sessions.status).toBe(302);
    expect(await storedSettings()).toMatchObject({
      signUpMode: "waitlist",
      allowlist: [],
      blocklist: ["spam.example", "eve@example.org"],
      signUpFields: { username: "required", firstName: "optional", lastName: "hidden", phone: "hidden" },
      requireEmailVerification: true,
      sessionIdleMinutes: 12 * 60,
      sessionLifetimeMinutes: 2 * 24 * 60,
    });
  });

  test("answers bad input with 400 and a message next to each field, keeping what was typed and saving nothing", async () => {
    const token = await instanceAdmin();
    const list = await harness.run(
      action,
      harness.formPost("/admin/settings", token, {
        intent: "signUp",
        signUpMode: "public",
        allowlist: "example.com\nnot an address",
        blocklist: "",
        "signUpFields.username": "hidden",
        "signUpFields.firstName": "optional",
        "signUpFields.lastName": "optional",
        "signUpFields.phone": "hidden",
      }),
    );
    expect(list.status).toBe(400);
    const listBody = (await list.json()) as { fieldErrors: Record<string, unknown>; values: Record<string, string> };
    expect(listBody.fieldErrors).toEqual({ allowlist: { key: "adminSettings.errors.listEntry", vars: { line: 2 } } });
    expect(listBody.values.allowlist).toBe("example.com\nnot an address");

    const idle = await harness.run(
      action,
      harness.formPost("/admin/settings", token, { intent: "sessions", sessionIdleValue: "3", sessionIdleUnit: "days", sessionLifetimeValue: "1", sessionLifetimeUnit: "days" }),
    );
    expect(idle.status).toBe(400);
    expect(((await idle.json()) as { fieldErrors: unknown }).fieldErrors).toEqual({ sessionIdleMinutes: { key: "adminSettings.errors.lifetime" } });

    const length = await harness.run(action, harness.formPost("/admin/settings", token, { intent: "security", minPasswordLength: "7" }));
    expect(length.status).toBe(400);
    expect(((await length.json()) as { fieldErrors: unknown }).fieldErrors).toEqual({ minPasswordLength: { key: "adminSettings.errors.minPasswordLength" } });

    const none = await harness.run(action, harness.formPost("/admin/settings", token, { intent: "signInMethods" }));
    expect(none.status).toBe(400);
    expect(((await none.json()) as { fieldErrors: unknown }).fieldErrors).toEqual({ signInMethods: { key: "adminSettings.errors.noSignInMethod" } });

    expect(await storedSettings()).toEqual({});
  });

  test("saves the security and organizations sections (an empty limit means none)", async () => {
    const token = await instanceAdmin();
    expect((await harness.run(action, harness.formPost("/admin/settings", token, { intent: "organizations", maxMembershipsPerOrganization: "25" }))).status).toBe(302);
    expect(await storedSettings()).toMatchObject({ maxMembershipsPerOrganization: 25 });
    expect((await harness.run(action, harness.formPost("/admin/settings", token, { intent: "organizations", maxMembershipsPerOrganization: "" }))).status).toBe(302);
    // Requiring MFA of everybody is refused to an admin without a second factor: they would lock themselves out.
    const lockout = await harness.run(action, harness.formPost("/admin/settings", token, { intent: "security", requireMfa: "on", minPasswordLength: "14" }));
    expect(lockout.status).toBe(403);
    expect(JSON.stringify(await lockout.json())).toContain("errors.mfaRequired");
    expect(await storedSettings()).not.toHaveProperty("requireMfa");
    expect((await harness.run(action, harness.formPost("/admin/settings", token, { intent: "security", minPasswordLength: "14" }))).status).toBe(302);
    expect(await storedSettings()).toMatchObject({ requireMfa: false, minPasswordLength: 14, maxMembershipsPerOrganization: null });
  });
});
