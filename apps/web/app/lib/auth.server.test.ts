/** `getAuth(args).sessionClaims` against a real (in-memory) database, with the instance's custom claims. */
import { describe, expect, expectTypeOf, test } from "vitest";
import { createRouteHarness } from "~/test/route-harness";

const harness = createRouteHarness();

function argsFor(token: string | null) {
  const headers: Record<string, string> = token ? { cookie: `latchkey_session=${token}` } : {};
  return { request: new Request("http://localhost:3000/user", { headers }), context: {} };
}

async function makeInstanceAdmin(email: string) {
  await harness.db().query(`update users set is_instance_admin = true where id = (select user_id from email_addresses where email = '${email}')`);
}

describe("getAuth(args).sessionClaims", { timeout: 60_000 }, () => {
  test("holds the registered claims and the instance's custom ones, typed by the app's declaration", async () => {
    const root = await harness.signUp("claims-root");
    await makeInstanceAdmin(root.email);
    await harness.api(root.token).caller.instanceSettings.update({
      sessionClaims: { "2fa_enabled": "{{user.two_factor_enabled}}", plan: "{{user.public_metadata.plan}}" },
    });
    const { token, email } = await harness.signUp("claims-user");
    await harness.db().query(`update users set public_metadata = '{"plan":"pro"}' where id = (select user_id from email_addresses where email = '${email}')`);
    const { getAuth } = await import("./auth.server");
    const auth = await getAuth(argsFor(token));
    if (!auth.userId) throw new Error("not signed in");
    expect(auth.sessionClaims).toMatchObject({ sub: auth.userId, sid: auth.sessionId, "2fa_enabled": false, plan: "pro" });
    // app/session-claims.d.ts declares them, so a loader reads them typed.
    expectTypeOf(auth.sessionClaims["2fa_enabled"]).toEqualTypeOf<boolean | undefined>();
    expectTypeOf(auth.sessionClaims.plan).toEqualTypeOf<string | undefined>();
    await harness.api(root.token).caller.instanceSettings.update({ sessionClaims: {} });
  });

  test("is null when signed out", async () => {
    const { getAuth } = await import("./auth.server");
    const auth = await getAuth(argsFor(null));
    expect(auth.userId).toBeNull();
    expect(auth.sessionClaims).toBeNull();
  });
});
