/**
 * The account page's action against a real (in-memory) database: the parts a browser test can't reach, like a
 * session whose last password check is too old (a fresh browser session always counts as just checked).
 */
import type { LoaderFunctionArgs } from "@remix-run/node";
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

// --- custom profile data (unsafe metadata) and private metadata (audit helper) ---
describe("custom profile data on the account page", { timeout: 60_000 }, () => {
  test("saves a JSON object, replacing the stored one, and shows it in the loader", async () => {
    const { token } = await harness.signUp("meta");
    await api(token).caller.user.updateUnsafeMetadata({ unsafeMetadata: { old: true } });
    const saved = await post(token, { intent: "metadata", unsafeMetadata: '{ "theme": "dark", "tags": ["a", "b"] }' });
    expect(saved.status).toBe(302);
    expect(saved.headers.get("Location")).toBe("/user?done=metadata");
    expect((await api(token).caller.user.me()).unsafeMetadata).toEqual({ theme: "dark", tags: ["a", "b"] });
  });

  test("answers bad JSON, arrays, __proto__ keys and 8 KB+ with a 400 message for the field, writing nothing", async () => {
    const { token } = await harness.signUp("meta-bad");
    await api(token).caller.user.updateUnsafeMetadata({ unsafeMetadata: { keep: 1 } });
    const cases: Array<[string, string]> = [
      ["{ not json", "user.metadata.invalidJson"],
      ["[1, 2]", "user.metadata.notObject"],
      ['{ "a": { "__proto__": { "x": 1 } } }', "user.metadata.forbiddenKey"],
      [JSON.stringify({ big: "x".repeat(9000) }), "user.metadata.tooLarge"],
      ["x".repeat(70_000), "user.metadata.tooLarge"],
    ];
    for (const [text, key] of cases) {
      const answer = await post(token, { intent: "metadata", unsafeMetadata: text });
      expect(answer.status, text.slice(0, 30)).toBe(400);
      const body = (await answer.json()) as { fieldErrors: { unsafeMetadata: { key: string; vars?: Record<string, string> } } };
      expect(body.fieldErrors.unsafeMetadata.key).toBe(key);
      if (key === "user.metadata.forbiddenKey") expect(body.fieldErrors.unsafeMetadata.vars).toEqual({ path: "a.__proto__" });
    }
    expect((await api(token).caller.user.me()).unsafeMetadata).toEqual({ keep: 1 });
  });

  test("never sends private metadata to the browser: not in the /user loader, the root loader or the header session", async () => {
    const { token } = await harness.signUp("meta-private");
    const id = (await api(token).caller.user.me()).id;
    const marker = `PRIVATE-${Math.random().toString(36).slice(2)}`;
    const { createLatchkeyClient } = await import("@latchkey/api");
    await createLatchkeyClient({ db: harness.db().db }).users.updateUserMetadata(id, { privateMetadata: { secret: marker }, publicMetadata: { plan: "pro" }, unsafeMetadata: { shown: "yes" } });
    const args = () => ({ request: new Request("http://localhost:3000/user", { headers: { cookie: `latchkey_session=${token}` } }), context: {}, params: {} }) as unknown as LoaderFunctionArgs;
    const { loader } = await import("./user");
    const page = JSON.stringify(await loader(args()));
    expect(page).toContain("shown");
    expect(page).not.toContain(marker);
    const { loader: rootLoader } = await import("~/root");
    const root = JSON.stringify(await rootLoader(args()));
    expect(root).toContain(id);
    expect(root).not.toContain(marker);
    const { getAuth } = await import("~/lib/auth.server");
    const { getHeaderSession } = await import("~/lib/header-session.server");
    const header = args();
    const auth = await getAuth(header);
    if (!auth.userId) throw new Error("not signed in");
    expect(JSON.stringify(await getHeaderSession(header, auth))).not.toContain(marker);
    expect(JSON.stringify(auth.user)).not.toContain(marker);
  });
});
