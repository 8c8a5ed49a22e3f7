import { describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { auditEvents, sessions } from "@latchkey/db";
import { useTestDb } from "@latchkey/db/testing";
import { hashSessionSecret } from "@latchkey/auth";
import { createMemoryMailer } from "../mail/index.ts";
import { callerFor, countRows, errorOf, PASSWORD, signUp, tokenFrom, uniqueEmail } from "../../test/helpers.ts";

const db = useTestDb();

describe("auth.signIn", () => {
  it("signs in with the right password and records the success", async () => {
    const { email, userId } = await signUp(db());
    const { caller, resHeaders } = callerFor(db(), { ip: "203.0.113.7" });
    const result = await caller.auth.signIn({ email, password: PASSWORD });
    expect(result.userId).toBe(userId);
    expect(tokenFrom(resHeaders)).toMatch(/^sess_/);
    const events = await db().db.select().from(auditEvents).where(eq(auditEvents.actorUserId, userId));
    expect(events.some((e) => e.action === "session.sign_in" && e.outcome === "success" && e.ip === "203.0.113.7")).toBe(true);
  });

  it("gives the same answer for a wrong password and an unknown address", async () => {
    const { email } = await signUp(db());
    const wrong = await errorOf(callerFor(db()).caller.auth.signIn({ email, password: "not the password at all" }));
    const unknown = await errorOf(callerFor(db()).caller.auth.signIn({ email: uniqueEmail("ghost"), password: PASSWORD }));
    expect(wrong.code).toBe("UNAUTHORIZED");
    expect(unknown.code).toBe("UNAUTHORIZED");
    expect(wrong.message).toBe(unknown.message);
    expect(wrong.reason).toBe("INVALID_CREDENTIALS");
  });

  it("refuses bad input with the field named and starts no session", async () => {
    const before = await countRows(db(), "sessions");
    const error = await errorOf(callerFor(db()).caller.auth.signIn({ email: "nope", password: "" }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toMatch(/email|password/);
    expect(await countRows(db(), "sessions")).toBe(before);
  });
});

describe("abuse protection", () => {
  it("locks an account's sign-in for 15 minutes after 10 wrong passwords in an hour, with the same generic answer, and tells the owner", async () => {
    const { email, userId } = await signUp(db());
    const t0 = Date.now();
    const at = (ms: number) => () => new Date(t0 + ms);
    const { mailer, sent } = createMemoryMailer();
    for (let i = 0; i < 10; i++) {
      const error = await errorOf(callerFor(db(), { now: at(i * 1000), mailer }).caller.auth.signIn({ email, password: `wrong password ${i}` }));
      expect(error.reason).toBe("INVALID_CREDENTIALS");
    }
    // The right password is refused while locked, with the very same answer.
    const locked = await errorOf(callerFor(db(), { now: at(60_000) }).caller.auth.signIn({ email, password: PASSWORD }));
    expect(locked.code).toBe("UNAUTHORIZED");
    expect(locked.message).toBe("Email address or password is incorrect.");
    const events = await db().db.select().from(auditEvents).where(eq(auditEvents.targetId, userId));
    expect(events.some((e) => e.action === "user.locked")).toBe(true);
    expect(sent.map((m) => [m.kind, m.to])).toEqual([["lockout-notice", email]]);
    // After 15 minutes it works again.
    const later = await callerFor(db(), { now: at(16 * 60_000) }).caller.auth.signIn({ email, password: PASSWORD });
    expect(later.userId).toBe(userId);
  });

  it("answers 429 with a retry time after too many sign-in attempts for one address, known or not", async () => {
    for (const email of [(await signUp(db())).email, uniqueEmail("unknown")]) {
      const attempts = [];
      for (let i = 0; i < 21; i++) attempts.push(await errorOf(callerFor(db()).caller.auth.signIn({ email, password: `nope nope ${i}` })));
      expect(attempts.slice(0, 20).every((e) => e.code === "UNAUTHORIZED")).toBe(true);
      expect(attempts[20]!.code).toBe("TOO_MANY_REQUESTS");
      expect((attempts[20] as { retryAfterSeconds?: number }).retryAfterSeconds).toBeGreaterThan(0);
    }
  });
});

describe("auth.signIn with an address nobody has confirmed", () => {
  it("gives no session while verification is required, emails a link instead, and lets in once the link is used", async () => {
    const { email, userId } = await signUp(db());
    await db().query(`update email_addresses set verified_at = null where user_id = '${userId}'`);
    const { mailer, sent } = createMemoryMailer();
    // A wrong password still gets the generic answer: the unverified state is told only to who knows the password.
    const wrong = await errorOf(callerFor(db(), { mailer }).caller.auth.signIn({ email, password: "not the password at all" }));
    expect(wrong.reason).toBe("INVALID_CREDENTIALS");
    const { caller, resHeaders } = callerFor(db(), { mailer });
    const refused = await errorOf(caller.auth.signIn({ email, password: PASSWORD }));
    expect([refused.code, refused.reason]).toEqual(["FORBIDDEN", "EMAIL_NOT_VERIFIED"]);
    expect(tokenFrom(resHeaders)).toBeNull();
    const mail = sent.find((m) => m.kind === "verification-code");
    if (mail?.kind !== "verification-code") throw new Error("no verification email");
    const token = new URL(mail.values.link!).searchParams.get("token")!;
    await callerFor(db()).caller.emailVerification.confirmLink({ token });
    const signedIn = await callerFor(db()).caller.auth.signIn({ email, password: PASSWORD });
    expect(signedIn.userId).toBe(userId);
  });
});

describe("auth.signOut", () => {
  it("ends the session so replaying the old cookie gets UNAUTHORIZED", async () => {
    const { token } = await signUp(db());
    const { caller, resHeaders } = callerFor(db(), { token });
    await caller.auth.signOut();
    expect(resHeaders.getSetCookie().some((c) => /latchkey_session=;.*Max-Age=0/i.test(c))).toBe(true);
    const replay = await errorOf(callerFor(db(), { token }).caller.user.me());
    expect(replay.code).toBe("UNAUTHORIZED");
  });

  it("is refused without a session", async () => {
    const error = await errorOf(callerFor(db()).caller.auth.signOut());
    expect(error.code).toBe("UNAUTHORIZED");
  });
});

describe("auth.session", () => {
  it("is null when signed out and describes the caller when signed in", async () => {
    expect(await callerFor(db()).caller.auth.session()).toBeNull();
    const { token, userId } = await signUp(db());
    const session = await callerFor(db(), { token }).caller.auth.session();
    expect(session?.userId).toBe(userId);
    expect(JSON.stringify(session)).not.toContain(token.split(".")[1]!);
  });
});

describe("the database", () => {
  it("never holds a raw session token", async () => {
    const { token } = await signUp(db());
    const [, secret] = token.split(".");
    const rows = await db().query<Record<string, unknown>>("select * from sessions");
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(secret!);
    expect(dump).toContain(hashSessionSecret(secret!));
    const all = await db().db.select({ hash: sessions.secretHash }).from(sessions);
    expect(all.every((s) => /^[0-9a-f]{64}$/.test(s.hash))).toBe(true);
  });
});
