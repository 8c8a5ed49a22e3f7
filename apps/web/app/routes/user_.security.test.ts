/**
 * The security page's action and loader against a real (in-memory) database: reverification redirects, a revoked
 * cookie on the next page request, and the refusals a browser test would not reach.
 */
import { describe, expect, test } from "vitest";
import type { LoaderFunctionArgs } from "@remix-run/node";
import { PASSWORD, createRouteHarness } from "~/test/route-harness";
import type { loader as securityLoader } from "./user_.security";

const harness = createRouteHarness();
const { api } = harness;

async function post(token: string, fields: Record<string, string>): Promise<Response> {
  const { action } = await import("./user_.security");
  return harness.run(action, harness.formPost("/user/security", token, fields));
}

async function load(token: string): Promise<Response | Awaited<ReturnType<typeof securityLoader>>> {
  const { loader } = await import("./user_.security");
  const request = new Request("http://localhost:3000/user/security", { headers: { cookie: `latchkey_session=${token}` } });
  try {
    return await loader({ request, context: {}, params: {} } as unknown as LoaderFunctionArgs);
  } catch (thrown) {
    if (thrown instanceof Response) return thrown;
    throw thrown;
  }
}

/** A second sign-in of the same user (another device); returns its token. */
async function secondDevice(email: string): Promise<string> {
  const { caller, resHeaders } = api();
  await caller.auth.signIn({ email, password: PASSWORD });
  const cookie = resHeaders.getSetCookie().find((c) => c.startsWith("latchkey_session="))!;
  return decodeURIComponent(/^latchkey_session=([^;]*)/.exec(cookie)![1]!);
}

describe("the security page", { timeout: 60_000 }, () => {
  test("lists both devices, signs the other one out, and that device's next page load goes to /sign-in", async () => {
    const { token, email } = await harness.signUp("dev");
    const other = await secondDevice(email);
    const page = await load(token);
    if (page instanceof Response) throw new Error(`unexpected ${page.status}`);
    expect(page.sessions).toHaveLength(2);
    expect(page.sessions[0]!.current).toBe(true);

    const done = await post(token, { intent: "revoke", sessionId: other.split(".")[0]! });
    expect(done.headers.get("Location")).toBe("/user/security?done=signedOut");
    const after = await load(other);
    expect(after instanceof Response && after.status).toBe(302);
    expect((after as Response).headers.get("Location")).toBe("/sign-in?redirect_url=%2Fuser%2Fsecurity");
  });

  test("signing this device out clears the cookie and goes to /sign-in", async () => {
    const { token } = await harness.signUp("self");
    const answer = await post(token, { intent: "revoke", sessionId: token.split(".")[0]! });
    expect(answer.headers.get("Location")).toBe("/sign-in");
    expect(answer.headers.get("Set-Cookie")).toMatch(/latchkey_session=;/);
  });

  test("another user's session id gets a not-found message", async () => {
    const mine = await harness.signUp("mine");
    const theirs = await harness.signUp("theirs");
    const answer = await post(mine.token, { intent: "revoke", sessionId: theirs.token.split(".")[0]! });
    expect(answer.status).toBe(404);
    expect(await answer.json()).toMatchObject({ intent: "revoke", formError: { key: "security.devices.notFound" } });
    expect((await api(theirs.token).caller.user.me()).primaryEmail).toBe(theirs.email);
  });

  test("a stale session is sent to /reverify before changing the password or deleting the account", async () => {
    const { token } = await harness.signUp("stale");
    await harness.db().query(`update sessions set last_reverified_at = now() - interval '1 hour'`);
    const email = (await api(token).caller.user.me()).primaryEmail!;
    const attempts: Record<string, string>[] = [
      { intent: "changePassword", currentPassword: PASSWORD, newPassword: "a brand new passphrase" },
      { intent: "delete", confirmation: email },
    ];
    for (const fields of attempts) {
      const answer = await post(token, fields);
      expect(answer.status).toBe(302);
      expect(answer.headers.get("Location")).toBe("/reverify?redirect_url=%2Fuser%2Fsecurity&level=strict");
    }
    expect((await api(token).caller.user.me()).primaryEmail).toBe(email);
  });

  test("an account without a password is sent to /reverify too, where an emailed code confirms it", async () => {
    const { token } = await harness.signUp("nopass");
    const me = await api(token).caller.user.me();
    await harness.db().query(`delete from password_credentials where user_id = '${me.id}'`);
    await harness.db().query(`update sessions set last_reverified_at = now() - interval '1 hour' where user_id = '${me.id}'`);
    const answer = await post(token, { intent: "changePassword", newPassword: "a brand new passphrase" });
    expect(answer.status).toBe(302);
    expect(answer.headers.get("Location")).toBe("/reverify?redirect_url=%2Fuser%2Fsecurity&level=strict");
    // Fresh from a step-up it works, without a current password.
    await harness.db().query(`update sessions set last_reverified_at = now() where user_id = '${me.id}'`);
    const done = await post(token, { intent: "changePassword", newPassword: "a brand new passphrase" });
    expect(done.headers.get("Location")).toBe("/user/security?done=passwordChanged");
  });

  test("a wrong current password is shown on its field; a weak new one on the other", async () => {
    const { token } = await harness.signUp("typo");
    const wrong = await post(token, { intent: "changePassword", currentPassword: "not my password", newPassword: "a brand new passphrase" });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ intent: "changePassword", fieldErrors: { currentPassword: { key: "errors.wrongPassword" } } });
    const weak = await post(token, { intent: "changePassword", currentPassword: PASSWORD, newPassword: "short" });
    expect(await weak.json()).toMatchObject({ fieldErrors: { newPassword: { key: "errors.passwordTooShort" } } });
  });

  test("deleting needs the email address typed exactly; then the account is gone and the cookie cleared", async () => {
    const { token, email } = await harness.signUp("bye");
    const typo = await post(token, { intent: "delete", confirmation: "someone@else.test" });
    expect(typo.status).toBe(400);
    expect(await typo.json()).toMatchObject({ intent: "delete", fieldErrors: { confirmation: { key: "security.delete.mismatch" } } });
    expect((await api(token).caller.user.me()).primaryEmail).toBe(email);

    const gone = await post(token, { intent: "delete", confirmation: email.toUpperCase() });
    expect(gone.headers.get("Location")).toBe("/");
    expect(gone.headers.get("Set-Cookie")).toMatch(/latchkey_session=;/);
    expect((await load(token)) instanceof Response).toBe(true);
  });

  test("an unknown intent is refused without a change", async () => {
    const { token } = await harness.signUp("odd");
    const answer = await post(token, { intent: "explode" });
    expect(answer.status).toBe(400);
  });
});
