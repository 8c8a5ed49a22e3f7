import { describe, expect, test } from "vitest";
import { createRouteHarness } from "~/test/route-harness";
import { currentUser } from "./auth.server";

const harness = createRouteHarness();

function request(token: string | null): Request {
  return new Request("http://localhost:3000/anything", { headers: token ? { cookie: `latchkey_session=${token}` } : {} });
}

describe("currentUser(args)", { timeout: 60_000 }, () => {
  test("gives the signed-in user with Clerk's field names and their public and unsafe metadata", async () => {
    const { token, email } = await harness.signUp("current");
    const api = harness.api(token).caller;
    await api.user.updateProfile({ firstName: "Ada", lastName: "Lovelace" });
    await api.user.updateUnsafeMetadata({ unsafeMetadata: { theme: "dark" } });
    await harness.db().query(`update users set public_metadata = '{"plan":"pro"}', private_metadata = '{"secret":1}' where id = (select user_id from email_addresses where email = '${email}')`);

    const user = await currentUser({ request: request(token), context: {} });
    expect(user).toMatchObject({
      firstName: "Ada",
      lastName: "Lovelace",
      fullName: "Ada Lovelace",
      hasImage: false,
      primaryEmailAddress: { emailAddress: email, verified: true },
      publicMetadata: { plan: "pro" },
      unsafeMetadata: { theme: "dark" },
    });
    expect(user?.id).toMatch(/^user_/);
    expect(JSON.stringify(user)).not.toContain("secret");
  });

  test("is null for a visitor without a session or with a made-up one", async () => {
    expect(await currentUser({ request: request(null), context: {} })).toBeNull();
    expect(await currentUser({ request: request("sess_madeup.secret"), context: {} })).toBeNull();
  });
});
