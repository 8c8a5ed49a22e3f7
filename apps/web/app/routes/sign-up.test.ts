/** /sign-up under the instance settings (signup): the loader's fields and invitation, the action's refusals. */
import type { LoaderFunctionArgs } from "@remix-run/node";
import { describe, expect, test } from "vitest";
import { APP_URL, PASSWORD, createRouteHarness } from "~/test/route-harness";

const harness = createRouteHarness();

async function setSettings(settings: Record<string, unknown>) {
  await harness
    .db()
    .query(
      `insert into instance_settings (id, settings) values ('default', '${JSON.stringify(settings)}'::jsonb)
       on conflict (id) do update set settings = instance_settings.settings || excluded.settings`,
    );
}
const defaults = { signUpMode: "public", signUpFields: { username: "hidden", firstName: "optional", lastName: "optional", phone: "hidden" } };

async function load(search = "") {
  const { loader } = await import("./sign-up");
  return loader({ request: new Request(`${APP_URL}/sign-up${search}`), context: {}, params: {} } as unknown as LoaderFunctionArgs);
}

async function submit(fields: Record<string, string>) {
  const { action } = await import("./sign-up");
  const request = new Request(`${APP_URL}/sign-up`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ password: PASSWORD, ...fields }),
  });
  return harness.run(action, request);
}

describe("/sign-up under the instance settings", { timeout: 60_000 }, () => {
  test("refuses an uninvited sign-up in invite-only mode with 403 and the page's message", async () => {
    await setSettings({ signUpMode: "invite_only" });
    try {
      expect((await load()).mode).toBe("invite_only");
      const response = await submit({ email: "uninvited@example.test" });
      expect(response.status).toBe(403);
      expect((await response.json()).formError).toEqual({ key: "waitlist.signUp.restricted" });
    } finally {
      await setSettings(defaults);
    }
  });

  test("shows the fields the settings ask for, and names a missing required one", async () => {
    await setSettings({ signUpFields: { username: "required", firstName: "hidden", lastName: "hidden", phone: "optional" } });
    try {
      expect((await load()).fields).toEqual({ username: "required", firstName: "hidden", lastName: "hidden", phone: "optional" });
      const response = await submit({ email: "fields@example.test", username: "" });
      expect(response.status).toBe(400);
      expect((await response.json()).fieldErrors.username).toEqual({ key: "waitlist.signUp.required" });
    } finally {
      await setSettings(defaults);
    }
  });

  test("locks the address of an invitation link and reports an unusable one", async () => {
    const admin = await harness.signUp("signup-root");
    await harness.db().query(`update users set is_instance_admin = true where id = (select user_id from sessions order by created_at desc limit 1)`);
    await harness.api(admin.token).caller.waitlist.invite({ email: "invited@example.test" });
    const mail = harness.sent.findLast((m) => m.kind === "instance-invitation");
    if (mail?.kind !== "instance-invitation") throw new Error("no invitation email");
    const token = new URL(mail.values.link).searchParams.get("invitation")!;
    const page = await load(`?invitation=${encodeURIComponent(token)}`);
    expect(page).toMatchObject({ lockedEmail: "invited@example.test", invitationToken: token, invitationProblem: null });
    const forged = await load("?invitation=lkinv_forged");
    expect(forged).toMatchObject({ lockedEmail: null, invitationToken: null, invitationProblem: "waitlist.invitation.invalid" });
  });
});
