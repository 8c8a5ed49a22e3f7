/**
 * The phone numbers page's actions against a real (in-memory) database, with the development SMS outbox standing in
 * for the carrier: add, verify by the texted code, choose for sign-in codes after reverification, bad input.
 */
import { describe, expect, test } from "vitest";
import { clearSmsOutbox, listSmsOutbox } from "@latchkey/api";
import { PASSWORD, createRouteHarness } from "~/test/route-harness";

const harness = createRouteHarness();

async function post(token: string, fields: Record<string, string>): Promise<Response> {
  const { action } = await import("./user_.phones");
  return harness.run(action, harness.formPost("/user/phones", token, fields));
}

describe("the phone numbers page's actions", { timeout: 60_000 }, () => {
  test("adds a number, verifies it with the texted code, and after reverification uses it for sign-in codes", async () => {
    clearSmsOutbox();
    const { token } = await harness.signUp("phone");
    const phone = `+4860${Math.floor(1e6 + Math.random() * 8e6)}`;
    const added = await post(token, { intent: "add", phone: phone.replace(/(\d{3})(?=\d)/g, "$1 ") });
    expect(added.headers.get("Location")).toBe("/user/phones?done=sent");
    const text = listSmsOutbox().find((m) => m.to === phone);
    expect(text?.body).toMatch(/^\d{6} is your Latchkey code/);
    const [row] = await harness.api(token).caller.phone.list();

    const wrong = await post(token, { intent: "verify", phoneNumberId: row!.id, code: "12" });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ fieldErrors: { code: { key: "errors.codeRequired" } } });
    const verified = await post(token, { intent: "verify", phoneNumberId: row!.id, code: /^(\d{6})/.exec(text!.body)![1]! });
    expect(verified.headers.get("Location")).toBe("/user/phones?done=verified");

    await harness.db().query(`update sessions set last_reverified_at = now() - interval '1 hour'`);
    const asked = await post(token, { intent: "useForMfa", phoneNumberId: row!.id });
    expect(asked.headers.get("Location")).toBe("/reverify?redirect_url=%2Fuser%2Fphones&level=strict");
    await harness.api(token).caller.auth.reverify({ password: PASSWORD });
    const on = await post(token, { intent: "useForMfa", phoneNumberId: row!.id });
    expect(on.headers.get("Location")).toBe("/user/phones?done=mfaOn");
    expect((await harness.api(token).caller.phone.list())[0]!.usedForMfa).toBe(true);
  });

  test("answers a number that is not E.164 with a message on the phone field and stores nothing", async () => {
    const { token } = await harness.signUp("bad");
    const answer = await post(token, { intent: "add", phone: "0601 234 567" });
    expect(answer.status).toBe(400);
    expect(await answer.json()).toMatchObject({ intent: "add", phone: "0601 234 567", fieldErrors: { phone: { key: "phones.errors.phoneInvalid" } } });
    expect(await harness.api(token).caller.phone.list()).toEqual([]);
  });
});
