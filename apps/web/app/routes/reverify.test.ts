/** The step-up page's action against a real (in-memory) database: every factor goes through one form, no JavaScript needed. */
import { describe, expect, test } from "vitest";
import { PASSWORD, createRouteHarness } from "~/test/route-harness";

const harness = createRouteHarness();

async function post(token: string, fields: Record<string, string>): Promise<Response> {
  const { action } = await import("./reverify");
  return harness.run(action, harness.formPost("/reverify", token, fields));
}

async function stale(token: string) {
  const me = await harness.api(token).caller.user.me();
  await harness.db().query(`update sessions set last_reverified_at = now() - interval '1 hour' where user_id = '${me.id}'`);
  return me;
}

describe("the reverify page's action", { timeout: 60_000 }, () => {
  test("an account without a password steps up with a code emailed to its address and goes back", async () => {
    const { token, email } = await harness.signUp("nopass");
    const me = await stale(token);
    await harness.db().query(`delete from password_credentials where user_id = '${me.id}'`);

    const sent = await post(token, { intent: "send-code", strategy: "email_code", redirect_url: "/user/security" });
    expect(await sent.json()).toMatchObject({ strategy: "email_code", sentTo: email });
    const mail = harness.sent.filter((m) => m.kind === "reverification-code" && m.to === email).at(-1);
    const code = mail?.kind === "reverification-code" ? mail.values.code : "";

    const wrong = await post(token, { strategy: "email_code", code: code === "000000" ? "111111" : "000000", redirect_url: "/user/security" });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ fieldErrors: { code: { key: "errors.codeInvalid" } } });

    const done = await post(token, { strategy: "email_code", code, redirect_url: "/user/security" });
    expect(done.status).toBe(302);
    expect(done.headers.get("Location")).toBe("/user/security");
  });

  test("the password still works, and a foreign return address becomes /", async () => {
    const { token } = await harness.signUp("pass");
    await stale(token);
    const done = await post(token, { password: PASSWORD, redirect_url: "https://evil.example/steal" });
    expect(done.headers.get("Location")).toBe("/");
    const wrong = await post(token, { strategy: "password", password: "not it at all", redirect_url: "/" });
    expect(await wrong.json()).toMatchObject({ fieldErrors: { password: { key: "errors.wrongPassword" } } });
  });

  test("an unknown strategy falls back to the password, and a malformed passkey answer is a 400", async () => {
    const { token } = await harness.signUp("odd");
    await stale(token);
    const odd = await post(token, { strategy: "__proto__", password: PASSWORD });
    expect(odd.status).toBe(302);
    const passkey = await post(token, { strategy: "passkey", challengeId: "wac_x", response: "{not json" });
    expect(passkey.status).toBe(400);
  });
});
