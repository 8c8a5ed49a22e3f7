import { afterEach, describe, expect, it, vi } from "vitest";
import { useTestDb } from "@latchkey/db/testing";
import { callerFor, countRows, errorOf, PASSWORD, signUp, tokenFrom, uniqueEmail } from "../test/helpers.ts";
import { updateInstanceSettings } from "./instance-settings.ts";
import { createMemoryMailer } from "./mail/index.ts";
import { createMemorySmsSender } from "./sms/index.ts";
import { isTestModeOn, isTestModeRecipient, TEST_MODE_CODE } from "./test-mode.ts";

const db = useTestDb();

afterEach(async () => {
  vi.unstubAllEnvs();
  await db().query(`delete from instance_settings`);
});

const testAddress = (label: string) => uniqueEmail(label).replace("@", "+latchkey_test@");

/** Starts a sign-up with a memory mailer; returns what it mailed and how to confirm it. */
async function startSignUp(email: string) {
  const { mailer, sent } = createMemoryMailer();
  const started = await callerFor(db(), { mailer }).caller.auth.signUp({ email, password: PASSWORD });
  if (started.status !== "needs_verification") throw new Error("expected a code");
  const verify = (code: string) => {
    const { caller, resHeaders } = callerFor(db(), { mailer });
    return caller.signUp.verify({ signUpId: started.signUpId, code }).then((done) => ({ done, token: tokenFrom(resHeaders) }));
  };
  return { sent, verify };
}

describe("test-mode recipients", () => {
  it("are +latchkey_test addresses and +1 numbers from 555-0100 to 555-0199, nothing else", () => {
    for (const yes of ["jane+latchkey_test@example.com", "JANE+LATCHKEY_TEST@Example.com", "+12015550100", "+1 (415) 555-0199", "+1 212 555 0142"]) {
      expect(isTestModeRecipient(yes), yes).toBe(true);
    }
    for (const no of [
      "jane@example.com",
      "jane+latchkey_testing@example.com",
      "jane+other@example.com",
      "latchkey_test@example.com",
      "a+latchkey_test@b@example.com",
      "+12015550200",
      "+12015550099",
      "+442015550100",
      "+10155550100",
      "+1201555010",
      "",
    ]) {
      expect(isTestModeRecipient(no), no).toBe(false);
    }
  });

  it("count only outside production, unless the instance setting allows it there", async () => {
    expect(await isTestModeOn(db().db, "development")).toBe(true);
    expect(await isTestModeOn(db().db, "test")).toBe(true);
    expect(await isTestModeOn(db().db, undefined)).toBe(true);
    expect(await isTestModeOn(db().db, "production")).toBe(false);
    await updateInstanceSettings(db().db, { testModeInProduction: true });
    expect(await isTestModeOn(db().db, "production")).toBe(true);
  });
});

describe("test mode", () => {
  it("sends no email to a +latchkey_test address and signs it up with 424242", async () => {
    const email = testAddress("tm-signup");
    const { sent, verify } = await startSignUp(email);
    expect(sent).toEqual([]);
    const { done, token } = await verify(TEST_MODE_CODE);
    expect(done.userId).toMatch(/^user_/);
    expect(token).toBeTruthy();
  });

  it("still refuses a wrong code for a test address, and stops after five guesses", async () => {
    const { verify } = await startSignUp(testAddress("tm-wrong"));
    const wrong = await errorOf(verify("000000"));
    expect(wrong.code).toBe("BAD_REQUEST");
    expect(wrong.field).toBe("code");
    for (let i = 0; i < 4; i++) await errorOf(verify("111111"));
    const locked = await errorOf(verify(TEST_MODE_CODE));
    expect(locked.code).toBe("BAD_REQUEST");
    expect(locked.field).toBe("code");
  });

  it("leaves ordinary addresses alone: the code is emailed as usual", async () => {
    const email = uniqueEmail("tm-plain");
    const { sent, verify } = await startSignUp(email);
    const mail = sent.find((m) => m.to === email);
    expect(mail?.kind).toBe("verification-code");
    if (mail?.kind !== "verification-code") return;
    await expect(verify(mail.values.code)).resolves.toMatchObject({ done: { userId: expect.stringMatching(/^user_/) } });
  });

  it("is off in production: the test address gets its email and a random code", async () => {
    vi.stubEnv("NODE_ENV", "production");
    const email = testAddress("tm-prod");
    const { sent } = await startSignUp(email);
    const mail = sent.find((m) => m.to === email);
    expect(mail?.kind).toBe("verification-code");
  });

  it("works in production when the instance setting turns it on", async () => {
    vi.stubEnv("NODE_ENV", "production");
    await updateInstanceSettings(db().db, { testModeInProduction: true });
    const { sent, verify } = await startSignUp(testAddress("tm-prod-on"));
    expect(sent).toEqual([]);
    await expect(verify(TEST_MODE_CODE)).resolves.toMatchObject({ token: expect.any(String) });
  });

  it("signs a test address in with the emailed-code method and 424242, sending nothing", async () => {
    const email = testAddress("tm-code");
    await signUp(db(), email);
    const { mailer, sent } = createMemoryMailer();
    await callerFor(db(), { mailer }).caller.passwordless.requestCode({ email });
    const { caller, resHeaders } = callerFor(db(), { mailer });
    await caller.passwordless.verifyCode({ email, code: TEST_MODE_CODE });
    expect(tokenFrom(resHeaders)).toBeTruthy();
    expect(sent).toEqual([]);
  });

  it("texts nothing to a 555-01XX number and verifies it with 424242", async () => {
    const account = await signUp(db(), uniqueEmail("tm-phone"));
    const { sender, sent } = createMemorySmsSender();
    const as = () => callerFor(db(), { token: account.token, sms: sender }).caller;
    const added = await as().phone.add({ phone: "+1 201 555 0123" });
    const verified = await as().phone.verify({ phoneNumberId: added.id, code: TEST_MODE_CODE });
    expect(verified.verifiedAt).toBeTruthy();
    expect(sent).toEqual([]);
  });

  it("can be allowed in production by an instance admin only", async () => {
    const anonymous = await errorOf(callerFor(db()).caller.instanceSettings.update({ testModeInProduction: true }));
    expect(anonymous.code).toBe("UNAUTHORIZED");
    const user = await signUp(db());
    const plain = await errorOf(callerFor(db(), { token: user.token }).caller.instanceSettings.update({ testModeInProduction: true }));
    expect(plain.code).toBe("FORBIDDEN");
    await db().query(`update users set is_instance_admin = true where id = '${user.userId}'`);
    const bad = await errorOf(callerFor(db(), { token: user.token }).caller.instanceSettings.update({ testModeInProduction: "yes" } as never));
    expect(bad.code).toBe("BAD_REQUEST");
    expect(await countRows(db(), "instance_settings")).toBe(0);
  });
});
