import { describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { auditEvents, passwordCredentials, phoneNumbers, sessions } from "@latchkey/db";
import { useTestDb } from "@latchkey/db/testing";
import { totpCodeAt, totpStepAt } from "@latchkey/auth";
import { createMemoryMailer } from "../mail/index.ts";
import { createMemorySmsSender, type SmsSender } from "../sms/index.ts";
import { APP_URL, callerFor, errorOf, PASSWORD, signUp, uniqueEmail } from "../../test/helpers.ts";
import { createSoftAuthenticator } from "../../test/soft-authenticator.ts";

const db = useTestDb();
const MINUTE = 60_000;
/** Two hours on: past every reverification window, so the session needs a fresh check. */
const LATER = 2 * 60 * MINUTE;

/** A signed-up user with captured mail and texts; `as(ms)` calls as them `ms` after sign-up. */
async function user(label = "reverify", { password = true } = {}) {
  const account = await signUp(db(), uniqueEmail(label));
  if (!password) await db().db.delete(passwordCredentials).where(eq(passwordCredentials.userId, account.userId));
  const { mailer, sent: mails } = createMemoryMailer();
  const { sender, sent: texts } = createMemorySmsSender();
  const t0 = Date.now();
  const as = (ms = LATER, options: { sms?: SmsSender | null } = {}) =>
    callerFor(db(), { token: account.token, mailer, sms: sender, now: () => new Date(t0 + ms), ...options }).caller;
  const emailedCode = () => {
    const mail = mails.filter((m) => m.kind === "reverification-code").at(-1);
    if (mail?.kind !== "reverification-code") throw new Error("no reverification email");
    return mail.values.code;
  };
  const textedCode = () => /^(\d{6}) /.exec(texts.at(-1)!.body)![1]!;
  return { ...account, mails, texts, as, emailedCode, textedCode, t0 };
}
type User = Awaited<ReturnType<typeof user>>;

async function lastReverifiedAt(u: User): Promise<Date | null> {
  const [row] = await db().db.select({ at: sessions.lastReverifiedAt }).from(sessions).where(eq(sessions.id, u.sessionId));
  return row!.at;
}

async function reverifyEvents(u: User) {
  const rows = await db()
    .db.select({ outcome: auditEvents.outcome, details: auditEvents.details })
    .from(auditEvents)
    .where(and(eq(auditEvents.actorUserId, u.userId), eq(auditEvents.action, "session.reverify")));
  return rows.map((r) => `${(r.details as { strategy?: string }).strategy}:${r.outcome}`);
}

const wrongCode = (code: string) => (code === "000000" ? "111111" : "000000");

describe("auth.reverificationFactors", () => {
  it("offers a password user their password and a code emailed to their address", async () => {
    const u = await user();
    await expect(u.as().auth.reverificationFactors()).resolves.toEqual({ strategies: ["password", "email_code"], email: u.email });
  });

  it("offers a user without a password (provider, passkey or email-code sign-up) the emailed code", async () => {
    const u = await user("no-password", { password: false });
    await expect(u.as().auth.reverificationFactors()).resolves.toEqual({ strategies: ["email_code"], email: u.email });
  });

  it("refuses an anonymous caller", async () => {
    const error = await errorOf(callerFor(db()).caller.auth.reverificationFactors());
    expect(error.code).toBe("UNAUTHORIZED");
  });
});

describe("reverifying with a code emailed to the primary address", () => {
  it("lets a user without a password step up with the emailed code, once", async () => {
    const u = await user("email-code", { password: false });
    const before = await lastReverifiedAt(u);
    const sent = await u.as().auth.sendReverificationCode({ channel: "email" });
    expect(sent.sentTo).toBe(u.email);
    expect(u.mails.map((m) => [m.kind, m.to])).toEqual([["reverification-code", u.email]]);
    const code = u.emailedCode();

    const wrong = await errorOf(u.as().auth.reverify({ strategy: "email_code", code: wrongCode(code) }));
    expect([wrong.code, wrong.reason, wrong.field]).toEqual(["BAD_REQUEST", "INVALID_CODE", "code"]);
    expect(await lastReverifiedAt(u)).toEqual(before);

    const done = await u.as().auth.reverify({ strategy: "email_code", code: ` ${code.slice(0, 3)} ${code.slice(3)} ` });
    expect(done.reverifiedAt.getTime()).toBe(u.t0 + LATER);
    expect((await lastReverifiedAt(u))!.getTime()).toBe(u.t0 + LATER);

    // A used code answers "already used" (verifyCode keeps the proven code apart from a wrong one, ADR 024).
    const again = await errorOf(u.as(LATER + 1000).auth.reverify({ strategy: "email_code", code }));
    expect(again.reason).toBe("CODE_ALREADY_USED");
    expect((await reverifyEvents(u)).sort()).toEqual(["email_code:failure", "email_code:failure", "email_code:success"]);
  });

  it("stops a code after 5 wrong attempts", async () => {
    const u = await user("email-attempts");
    await u.as().auth.sendReverificationCode({ channel: "email" });
    const code = u.emailedCode();
    for (let i = 0; i < 4; i++) {
      expect((await errorOf(u.as().auth.reverify({ strategy: "email_code", code: wrongCode(code) }))).reason).toBe("INVALID_CODE");
    }
    expect((await errorOf(u.as().auth.reverify({ strategy: "email_code", code: wrongCode(code) }))).reason).toBe("TOO_MANY_ATTEMPTS");
    expect((await errorOf(u.as().auth.reverify({ strategy: "email_code", code }))).reason).toBe("TOO_MANY_ATTEMPTS");
    expect(await lastReverifiedAt(u)).not.toEqual(new Date(u.t0 + LATER));
  });

  it("sends one email a minute and five an hour", async () => {
    const u = await user("email-limits");
    await u.as(LATER).auth.sendReverificationCode({ channel: "email" });
    const soon = await errorOf(u.as(LATER + 10_000).auth.sendReverificationCode({ channel: "email" }));
    expect(soon.code).toBe("TOO_MANY_REQUESTS");
    for (let i = 1; i < 5; i++) await u.as(LATER + i * 61_000).auth.sendReverificationCode({ channel: "email" });
    const hourly = await errorOf(u.as(LATER + 5 * 61_000).auth.sendReverificationCode({ channel: "email" }));
    expect(hourly.code).toBe("TOO_MANY_REQUESTS");
    expect(u.mails).toHaveLength(5);
  });

  it("refuses a code of another user's step-up", async () => {
    const a = await user("email-a");
    const b = await user("email-b");
    await a.as().auth.sendReverificationCode({ channel: "email" });
    const error = await errorOf(b.as().auth.reverify({ strategy: "email_code", code: a.emailedCode() }));
    expect(error.reason).toBe("INVALID_CODE");
  });
});

describe("reverifying with the password", () => {
  it("accepts the original { password } shape and the explicit strategy", async () => {
    const u = await user("password");
    await u.as().auth.reverify({ password: PASSWORD });
    await u.as(LATER + MINUTE).auth.reverify({ strategy: "password", password: PASSWORD });
    const wrong = await errorOf(u.as().auth.reverify({ password: "not the password at all" }));
    expect([wrong.reason, wrong.field]).toEqual(["WRONG_PASSWORD", "password"]);
  });

  it("answers a user without a password as a wrong password", async () => {
    const u = await user("password-none", { password: false });
    const wrong = await errorOf(u.as().auth.reverify({ password: PASSWORD }));
    expect(wrong.reason).toBe("WRONG_PASSWORD");
  });

  it("limits any user to 10 attempts in 15 minutes, whatever the strategy", async () => {
    const u = await user("limits");
    for (let i = 0; i < 10; i++) await errorOf(u.as().auth.reverify({ strategy: i % 2 ? "totp" : "email_code", code: "000000" }));
    const limited = await errorOf(u.as().auth.reverify({ password: PASSWORD }));
    expect(limited.code).toBe("TOO_MANY_REQUESTS");
  });
});

describe("reverifying with an authenticator app or a backup code", () => {
  async function enrolled() {
    const u = await user("totp");
    // Just signed up, so the enrolment itself doesn't need a step-up.
    const started = await u.as(0).mfa.totp.start();
    const secret = decodeBase32IgnorePadding(started.key.replace(/ /g, ""));
    const confirmed = await u.as(0).mfa.totp.confirm({ code: totpCodeAt(secret, totpStepAt(new Date(u.t0))) });
    return { u, secret, backupCodes: confirmed.backupCodes! };
  }

  it("offers them, accepts a TOTP code once and refuses it the second time", async () => {
    const { u, secret } = await enrolled();
    expect((await u.as().auth.reverificationFactors()).strategies).toEqual(["password", "totp", "email_code", "backup_code"]);
    const code = totpCodeAt(secret, totpStepAt(new Date(u.t0 + LATER)));
    const wrong = await errorOf(u.as().auth.reverify({ strategy: "totp", code: wrongCode(code) }));
    expect([wrong.reason, wrong.field]).toEqual(["INVALID_CODE", "code"]);
    await u.as().auth.reverify({ strategy: "totp", code });
    expect((await errorOf(u.as(LATER + 1000).auth.reverify({ strategy: "totp", code }))).reason).toBe("INVALID_CODE");
  });

  it("accepts a backup code once", async () => {
    const { u, backupCodes } = await enrolled();
    await u.as().auth.reverify({ strategy: "backup_code", code: backupCodes[0]! });
    expect((await errorOf(u.as(LATER + 1000).auth.reverify({ strategy: "backup_code", code: backupCodes[0]! }))).reason).toBe("INVALID_CODE");
  });

  it("refuses a TOTP code from a user who has no authenticator app", async () => {
    const u = await user("no-totp");
    expect((await errorOf(u.as().auth.reverify({ strategy: "totp", code: "123456" }))).reason).toBe("INVALID_CODE");
  });
});

describe("reverifying with a texted code", () => {
  it("texts a code to the MFA number and accepts it once", async () => {
    const u = await user("sms");
    const phone = `+4860${Math.floor(1e6 + Math.random() * 8e6)}`;
    await db().db.insert(phoneNumbers).values({ userId: u.userId, phone, verifiedAt: new Date(), usedForMfa: true });
    expect((await u.as().auth.reverificationFactors()).strategies).toContain("phone_code");
    const sent = await u.as().auth.sendReverificationCode({ channel: "sms" });
    expect(sent.sentTo).not.toContain(phone.slice(-6, -2));
    expect(u.texts.map((t) => t.to)).toEqual([phone]);
    const code = u.textedCode();
    expect((await errorOf(u.as().auth.reverify({ strategy: "phone_code", code: wrongCode(code) }))).reason).toBe("INVALID_CODE");
    await u.as().auth.reverify({ strategy: "phone_code", code });
    expect((await errorOf(u.as(LATER + 1000).auth.reverify({ strategy: "phone_code", code }))).reason).toBe("INVALID_CODE");
  });

  it("has nothing to text to a user without an MFA number", async () => {
    const u = await user("sms-none");
    expect((await errorOf(u.as().auth.sendReverificationCode({ channel: "sms" }))).code).toBe("NOT_FOUND");
  });
});

describe("reverifying with a passkey", () => {
  it("accepts the user's own passkey and refuses another user's", async () => {
    const u = await user("passkey", { password: false });
    const authenticator = createSoftAuthenticator({ origin: APP_URL });
    const registration = await u.as(0).passkey.registrationOptions();
    await u.as(0).passkey.register({ challengeId: registration.challengeId, response: authenticator.register(registration.options) });
    expect((await u.as().auth.reverificationFactors()).strategies).toEqual(["passkey", "email_code"]);

    const { challengeId, options } = await u.as().auth.reverificationPasskeyOptions();
    await u.as().auth.reverify({ strategy: "passkey", challengeId, response: authenticator.authenticate(options) as unknown as Record<string, unknown> });
    expect((await lastReverifiedAt(u))!.getTime()).toBe(u.t0 + LATER);

    // The challenge was used; and another user's options can't be answered with this passkey.
    const reused = await errorOf(u.as(LATER + 1000).auth.reverify({ strategy: "passkey", challengeId, response: authenticator.authenticate(options) as unknown as Record<string, unknown> }));
    expect([reused.code, reused.reason]).toEqual(["BAD_REQUEST", "PASSKEY_NOT_ACCEPTED"]);
    const other = await user("passkey-other");
    const foreign = await other.as().auth.reverificationPasskeyOptions();
    const refused = await errorOf(
      other.as().auth.reverify({ strategy: "passkey", challengeId: foreign.challengeId, response: authenticator.authenticate(foreign.options) as unknown as Record<string, unknown> }),
    );
    expect(refused.reason).toBe("PASSKEY_NOT_ACCEPTED");
  });
});

describe("bad input and impersonation", () => {
  it("names the field of an unknown strategy or a missing code, and writes nothing", async () => {
    const u = await user("bad-input");
    const unknown = await errorOf(u.as().auth.reverify({ strategy: "carrier_pigeon", code: "1" } as never));
    expect(unknown.code).toBe("BAD_REQUEST");
    expect(unknown.message).toContain("strategy");
    const missing = await errorOf(u.as().auth.reverify({ strategy: "email_code" } as never));
    expect(missing.message).toContain("code");
    expect(await reverifyEvents(u)).toEqual([]);
  });

  it("refuses an impersonating admin every way of stepping up", async () => {
    const u = await user("impersonated");
    await db().db.update(sessions).set({ impersonatorUserId: u.userId }).where(eq(sessions.id, u.sessionId));
    for (const call of [
      () => u.as().auth.sendReverificationCode({ channel: "email" }),
      () => u.as().auth.reverificationPasskeyOptions(),
      () => u.as().auth.reverify({ strategy: "email_code", code: "123456" }),
    ]) {
      expect((await errorOf(call())).reason).toBe("IMPERSONATION_RESTRICTED");
    }
    expect(u.mails).toEqual([]);
  });
});
