import { describe, expect, it } from "vitest";
import { useTestDb } from "@latchkey/db/testing";
import { createMemoryMailer } from "../mail/index.ts";
import { callerFor, countRows, errorOf, PASSWORD, signUp, uniqueEmail } from "../../test/helpers.ts";

const db = useTestDb();
const NEW_PASSWORD = "a brand new passphrase";

function capture() {
  const { mailer, sent } = createMemoryMailer();
  const tokenOf = (index = -1) => {
    const mail = sent.at(index);
    if (mail?.kind !== "password-reset") throw new Error("no reset email");
    return new URL(mail.values.link).searchParams.get("token")!;
  };
  return { sent, mailer, tokenOf };
}

describe("password reset", () => {
  it("answers the same for an existing and an unknown address, and emails only the owner", async () => {
    const { email } = await signUp(db());
    const { sent, mailer } = capture();
    const known = await callerFor(db(), { mailer }).caller.passwordReset.request({ email });
    const unknown = await callerFor(db(), { mailer }).caller.passwordReset.request({ email: uniqueEmail("nobody") });
    expect(known).toEqual(unknown);
    expect(sent.map((m) => [m.kind, m.to])).toEqual([["password-reset", email]]);
  });

  it("sets the new password once, ends every session, and does not sign anyone in", async () => {
    const { email, token: oldSession } = await signUp(db());
    const { mailer, tokenOf } = capture();
    await callerFor(db(), { mailer }).caller.passwordReset.request({ email });
    const { caller, resHeaders } = callerFor(db());
    await caller.passwordReset.confirm({ token: tokenOf(), password: NEW_PASSWORD });
    expect(resHeaders.getSetCookie().some((c) => c.startsWith("latchkey_session=sess_"))).toBe(false);
    expect((await errorOf(callerFor(db(), { token: oldSession }).caller.user.me())).code).toBe("UNAUTHORIZED");
    expect((await errorOf(callerFor(db()).caller.auth.signIn({ email, password: PASSWORD }))).code).toBe("UNAUTHORIZED");
    await callerFor(db()).caller.auth.signIn({ email, password: NEW_PASSWORD });
    const again = await errorOf(callerFor(db()).caller.passwordReset.confirm({ token: tokenOf(), password: "yet another passphrase" }));
    expect(again.code).toBe("BAD_REQUEST");
    expect(again.field).toBe("token");
  });

  it("gives exactly one success to two concurrent submissions of the same link", async () => {
    const { email } = await signUp(db());
    const { mailer, tokenOf } = capture();
    await callerFor(db(), { mailer }).caller.passwordReset.request({ email });
    const token = tokenOf();
    const results = await Promise.allSettled([
      callerFor(db()).caller.passwordReset.confirm({ token, password: "first concurrent passphrase" }),
      callerFor(db()).caller.passwordReset.confirm({ token, password: "second concurrent passphrase" }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
  });

  it("kills an older link when a newer one is requested", async () => {
    const { email } = await signUp(db());
    const { mailer, tokenOf } = capture();
    await callerFor(db(), { mailer }).caller.passwordReset.request({ email });
    await callerFor(db(), { mailer }).caller.passwordReset.request({ email });
    expect((await errorOf(callerFor(db()).caller.passwordReset.confirm({ token: tokenOf(0), password: NEW_PASSWORD }))).reason).toBe("INVALID_TOKEN");
    await callerFor(db()).caller.passwordReset.confirm({ token: tokenOf(1), password: NEW_PASSWORD });
  });

  it("expires the link after an hour", async () => {
    const { email } = await signUp(db());
    const { mailer, tokenOf } = capture();
    const t0 = Date.now();
    await callerFor(db(), { mailer, now: () => new Date(t0) }).caller.passwordReset.request({ email });
    const late = await errorOf(callerFor(db(), { now: () => new Date(t0 + 3_600_000) }).caller.passwordReset.confirm({ token: tokenOf(), password: NEW_PASSWORD }));
    expect(late.reason).toBe("EXPIRED_TOKEN");
  });

  it.each([
    ["request", { email: "not-an-email" }, "email"],
    ["confirm", { token: "", password: NEW_PASSWORD }, "token"],
    ["confirm", { token: "x".repeat(500), password: NEW_PASSWORD }, "token"],
    ["confirm", { token: "ver_abc.def", password: "short" }, "password"],
    ["confirm", { token: "ver_abc.def", password: "password123" }, "password"],
  ] as const)("refuses bad input to %s (%#) naming the field and changes nothing", async (procedure, input, field) => {
    const before = await countRows(db(), "password_credentials");
    const error = await errorOf(callerFor(db()).caller.passwordReset[procedure](input as never));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toContain(field);
    expect(await countRows(db(), "password_credentials")).toBe(before);
  });

  it("records requests, resets and refused links in the audit log, without the addresses typed", async () => {
    const { email, userId } = await signUp(db());
    const { mailer, tokenOf } = capture();
    const unknown = uniqueEmail("nobody");
    await callerFor(db(), { mailer }).caller.passwordReset.request({ email });
    await callerFor(db(), { mailer }).caller.passwordReset.request({ email: unknown });
    await errorOf(callerFor(db()).caller.passwordReset.confirm({ token: "ver_aaaaaaaaaaaaaaaaaaaaaaaa.bbb", password: NEW_PASSWORD }));
    await callerFor(db()).caller.passwordReset.confirm({ token: tokenOf(), password: NEW_PASSWORD });
    const rows = await db().query<{ action: string; outcome: string; target_id: string | null; details: unknown }>(
      "select action, outcome, target_id, details from audit_events where action like 'user.password_reset%' order by occurred_at, id",
    );
    const mine = rows.filter((r) => r.target_id === userId || r.target_id === null);
    expect(mine.map((r) => [r.action, r.outcome])).toEqual(
      expect.arrayContaining([
        ["user.password_reset_requested", "success"],
        ["user.password_reset_requested", "failure"],
        ["user.password_reset", "failure"],
        ["user.password_reset", "success"],
      ]),
    );
    expect(JSON.stringify(rows)).not.toContain(unknown);
  });

  it("limits requests for one address", async () => {
    const email = uniqueEmail("flood");
    for (let i = 0; i < 3; i++) await callerFor(db()).caller.passwordReset.request({ email });
    expect((await errorOf(callerFor(db()).caller.passwordReset.request({ email }))).code).toBe("TOO_MANY_REQUESTS");
  });
});
