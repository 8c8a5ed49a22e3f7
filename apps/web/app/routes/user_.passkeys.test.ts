/**
 * The passkeys page's actions against a real (in-memory) database: bad browser answers, someone else's passkey, and a
 * session whose password check is too old (the browser test covers the happy path with a virtual authenticator).
 */
import { describe, expect, test } from "vitest";
import { createRouteHarness } from "~/test/route-harness";

const harness = createRouteHarness();

async function post(token: string, fields: Record<string, string>): Promise<Response> {
  const { action } = await import("./user_.passkeys");
  return harness.run(action, harness.formPost("/user/passkeys", token, fields));
}

async function passkeyOf(userToken: string, name: string) {
  const me = await harness.api(userToken).caller.auth.session();
  const [row] = await harness
    .db()
    .query<{ id: string }>(
      `insert into passkeys (id, user_id, credential_id, public_key, name) values ('pk_${Math.random().toString(36).slice(2, 12)}', '${me!.userId}', '${Math.random().toString(36).slice(2)}', '\\x01', '${name}') returning id`,
    );
  return row!.id;
}

describe("the passkeys page's actions", { timeout: 60_000 }, () => {
  test("answers a malformed browser answer with a 400 on the response field and stores nothing", async () => {
    const { token } = await harness.signUp("pk");
    const { challengeId } = await harness.api(token).caller.passkey.registrationOptions();
    for (const response of ["not json", JSON.stringify({ id: "abc", type: "public-key" })]) {
      const answer = await post(token, { intent: "register", challengeId, response });
      expect(answer.status).toBe(400);
      const body = (await answer.json()) as { intent: string; fieldErrors: Record<string, { key: string }> };
      expect(body.intent).toBe("register");
      const fields = Object.keys(body.fieldErrors);
      expect(fields.length).toBeGreaterThan(0);
      for (const field of fields) {
        expect(field).toMatch(/^response/);
        expect(body.fieldErrors[field]).toEqual({ key: "passkeys.errors.failed" });
      }
    }
    expect(await harness.api(token).caller.passkey.list()).toEqual([]);
  });

  test("renames its own passkey, but answers another user's with a not-found message and changes nothing", async () => {
    const mine = await harness.signUp("mine");
    const theirs = await harness.signUp("theirs");
    const own = await passkeyOf(mine.token, "Laptop");
    const foreign = await passkeyOf(theirs.token, "Phone");
    const renamed = await post(mine.token, { intent: "rename", passkeyId: own, name: "Work laptop" });
    expect(renamed.headers.get("Location")).toBe("/user/passkeys?done=renamed");
    const refused = await post(mine.token, { intent: "rename", passkeyId: foreign, name: "Mine" });
    expect(refused.status).toBe(404);
    expect(await refused.json()).toMatchObject({ formError: { key: "passkeys.errors.notFound" } });
    expect((await harness.api(theirs.token).caller.passkey.list()).map((p) => p.name)).toEqual(["Phone"]);
  });

  test("sends a session without a recent password check to /reverify before removing a passkey", async () => {
    const { token } = await harness.signUp("stale");
    const id = await passkeyOf(token, "Old key");
    await harness.db().query(`update sessions set last_reverified_at = now() - interval '1 hour'`);
    const asked = await post(token, { intent: "remove", passkeyId: id });
    expect(asked.status).toBe(302);
    expect(asked.headers.get("Location")).toBe("/reverify?redirect_url=%2Fuser%2Fpasskeys&level=strict");
    expect(await harness.api(token).caller.passkey.list()).toHaveLength(1);
  });
});
