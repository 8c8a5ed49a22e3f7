/**
 * The account page's action against a real (in-memory) database: the parts a browser test can't reach, like a
 * session whose last password check is too old (a fresh browser session always counts as just checked).
 */
import { describe, expect, test } from "vitest";
import { PASSWORD, createRouteHarness } from "~/test/route-harness";

const harness = createRouteHarness();
const { api, sent } = harness;

/** A user with a verified second address; returns their session token and that address's id. */
async function userWithSecondAddress() {
  const { token, email } = await harness.signUp("ada");
  const second = `ada-work-${Math.random().toString(36).slice(2, 8)}@example.test`;
  await api(token).caller.emailAddress.add({ email: second });
  const mail = sent.findLast((m) => m.to === second);
  if (mail?.kind !== "verification-code") throw new Error("no code mailed");
  const added = await api(token).caller.emailAddress.verify({ email: second, code: mail.values.code });
  return { token, email, secondId: added.id };
}

async function post(token: string, fields: Record<string, string>): Promise<Response> {
  const { action } = await import("./user");
  return harness.run(action, harness.formPost("/user", token, fields));
}

describe("the account page's actions", { timeout: 60_000 }, () => {
  test("sends a session without a recent password check to /reverify and back to /user, then succeeds after it", async () => {
    const { token, secondId } = await userWithSecondAddress();
    await harness.db().query(`update sessions set last_reverified_at = now() - interval '1 hour'`);

    const asked = await post(token, { intent: "makePrimary", emailAddressId: secondId });
    expect(asked.status).toBe(302);
    expect(asked.headers.get("Location")).toBe("/reverify?redirect_url=%2Fuser&level=strict");

    await api(token).caller.auth.reverify({ password: PASSWORD });
    const done = await post(token, { intent: "makePrimary", emailAddressId: secondId });
    expect(done.headers.get("Location")).toBe("/user?done=primary");
    expect((await api(token).caller.user.me()).primaryEmail).toMatch(/^ada-work-/);
  });

  test("answers another user's address id with a not-found message and changes nothing", async () => {
    const mine = await userWithSecondAddress();
    const theirs = await userWithSecondAddress();
    const answer = await post(mine.token, { intent: "remove", emailAddressId: theirs.secondId });
    expect(answer.status).toBe(404);
    expect(await answer.json()).toMatchObject({ formError: { key: "user.errors.notFound" }, intent: "remove" });
    expect((await api(theirs.token).caller.emailAddress.list()).addresses).toHaveLength(2);
  });
});
