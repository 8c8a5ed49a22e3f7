/** The /waitlist page's loader and action against a real (in-memory) database. */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { describe, expect, test } from "vitest";
import { APP_URL, createRouteHarness } from "~/test/route-harness";

const harness = createRouteHarness();

async function setMode(mode: string) {
  await harness
    .db()
    .query(
      `insert into instance_settings (id, settings) values ('default', '{"signUpMode":"${mode}"}'::jsonb)
       on conflict (id) do update set settings = instance_settings.settings || excluded.settings`,
    );
}

function join(email: string) {
  return new Request(`${APP_URL}/waitlist`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ email }),
  });
}

async function load() {
  const { loader } = await import("./waitlist");
  return loader({ request: new Request(`${APP_URL}/waitlist`), context: {}, params: {} } as unknown as LoaderFunctionArgs);
}

describe("/waitlist", { timeout: 60_000 }, () => {
  test("is closed unless the sign-up mode is waitlist, and says so", async () => {
    await setMode("public");
    expect(await load()).toEqual({ open: false, botCheck: null });
    const { action } = await import("./waitlist");
    const response = await harness.run(action, join("early@example.test"));
    expect(response.status).toBe(403);
    expect((await response.json()).formError).toEqual({ key: "waitlist.closed" });
  });

  test("takes an address and confirms it, the same for an address already waiting", async () => {
    await setMode("waitlist");
    try {
      expect(await load()).toEqual({ open: true, botCheck: null });
      const { action } = await import("./waitlist");
      const first = await (await harness.run(action, join("Hopeful@Example.test"))).json();
      const again = await (await harness.run(action, join("hopeful@example.test"))).json();
      expect(first).toMatchObject({ joined: true, email: "hopeful@example.test" });
      expect(again).toEqual(first);
      expect(await harness.db().query("select email, status from waitlist_entries where email = 'hopeful@example.test'")).toEqual([
        { email: "hopeful@example.test", status: "pending" },
      ]);
      const bad = await harness.run(action, join("nope"));
      expect(bad.status).toBe(400);
      expect((await bad.json()).fieldErrors.email).toEqual({ key: "errors.emailInvalid" });
    } finally {
      await setMode("public");
    }
  });

  test("with bot protection on, offers a challenge and a form token, and refuses a form posted at once or with the honeypot filled", async () => {
    await setMode("waitlist");
    const setBotProtection = (mode: string) =>
      harness.db().query(`update instance_settings set settings = settings || '{"botProtection":{"mode":"${mode}","blockDisposableEmails":false}}'::jsonb`);
    await setBotProtection("always");
    try {
      const loaded = await load();
      expect(loaded.botCheck?.formToken).toMatch(/^ft1\./);
      expect(loaded.botCheck?.challenge).toMatchObject({ parameters: { algorithm: "PBKDF2/SHA-256" } });
      const { action } = await import("./waitlist");
      const post = (fields: Record<string, string>) =>
        harness.run(action, new Request(`${APP_URL}/waitlist`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields) }));
      const fast = await post({ email: "fast@example.test", bot_token: loaded.botCheck!.formToken! });
      expect(fast.status).toBe(400);
      expect((await fast.json()).formError).toEqual({ key: "botCheck.tooFast" });
      const trapped = await post({ email: "trapped@example.test", website: "https://spam.example" });
      expect((await trapped.json()).formError).toEqual({ key: "botCheck.failed" });
      const bare = await post({ email: "bare@example.test" });
      expect((await bare.json()).formError).toEqual({ key: "botCheck.required" });
    } finally {
      await setBotProtection("off");
    }
  });
});
