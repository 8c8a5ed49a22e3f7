import { describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import { auditEvents, emailAddresses, instanceInvitations, passwordCredentials, phoneNumbers, signUpAttempts, users } from "@latchkey/db";
import { useTestDb } from "@latchkey/db/testing";
import { createMemoryMailer } from "../mail/index.ts";
import { getInstanceSettings, updateInstanceSettings } from "../instance-settings.ts";
import { pruneSignUpAttempts } from "./sign-up.ts";
import { callerFor, countRows, createOrgWithMember, errorOf, PASSWORD, signUp, tokenFrom, uniqueEmail } from "../../test/helpers.ts";

const db = useTestDb();
const START = new Date("2026-03-01T12:00:00Z");
const at = (ms: number) => () => new Date(START.getTime() + ms);

function capture() {
  const { mailer, sent } = createMemoryMailer();
  const codes = () => sent.flatMap((m) => (m.kind === "verification-code" ? [m.values.code] : []));
  const token = () => {
    const mail = sent.findLast((m) => m.kind === "verification-code");
    if (mail?.kind !== "verification-code") throw new Error("no verification email");
    return new URL(mail.values.link!).searchParams.get("token")!;
  };
  return { sent, mailer, codes, token };
}

/** Starts a sign-up for a new address with a capturing mailer; `code` is the one emailed. */
async function start(email = uniqueEmail("pending"), options: { now?: () => Date } = {}) {
  const mail = capture();
  const started = await callerFor(db(), { mailer: mail.mailer, ...options }).caller.auth.signUp({ email, password: PASSWORD, firstName: "Ada", lastName: "Lovelace" });
  if (started.status !== "needs_verification") throw new Error("expected a pending sign-up");
  return { ...started, ...mail, code: mail.codes()[0]! };
}

const wrongCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, "0");

describe("starting a sign-up", () => {
  it("creates no user and sets no cookie until the address is confirmed, and emails a 6-digit code and a link", async () => {
    const email = uniqueEmail("new");
    const before = await countRows(db(), "users");
    const mail = capture();
    const { caller, resHeaders } = callerFor(db(), { mailer: mail.mailer });
    const result = await caller.auth.signUp({ email: `  ${email.toUpperCase()} `, password: PASSWORD, firstName: "Ada" });
    expect(result).toEqual({ status: "needs_verification", signUpId: expect.stringMatching(/^sua_/), email });
    expect(resHeaders.getSetCookie()).toEqual([]);
    expect(await countRows(db(), "users")).toBe(before);
    expect(mail.sent.map((m) => [m.kind, m.to])).toEqual([["verification-code", email]]);
    expect(mail.codes()[0]).toMatch(/^\d{6}$/);
    expect(mail.token()).toMatch(/^ver_/);
    // The pending row keeps an argon2id hash, never the password.
    const [row] = await db().db.select().from(signUpAttempts).where(eq(signUpAttempts.email, email));
    expect(row!.passwordHash!.startsWith("$argon2id$v=19$m=19456,t=2,p=1$")).toBe(true);
    expect(JSON.stringify(row)).not.toContain(PASSWORD);
  });

  it("answers an address that has an account exactly as a new one, and emails its owner instead of a code", async () => {
    const { email } = await signUp(db());
    const fresh = await start();
    const mail = capture();
    const { caller, resHeaders } = callerFor(db(), { mailer: mail.mailer });
    const taken = await caller.auth.signUp({ email, password: "another long passphrase", firstName: "Eve" });
    expect(Object.keys(taken).sort()).toEqual(Object.keys(fresh).filter((k) => ["status", "signUpId", "email"].includes(k)).sort());
    expect(taken.status).toBe("needs_verification");
    expect(resHeaders.getSetCookie()).toEqual([]);
    expect(mail.sent.map((m) => [m.kind, m.to])).toEqual([["account-exists", email]]);
    if (taken.status !== "needs_verification") return;
    // The verify page shows it like any other, and no code completes it.
    const view = await callerFor(db()).caller.signUp.get({ signUpId: taken.signUpId });
    expect(view).toEqual({ signUpId: taken.signUpId, email, status: "pending", resendInSeconds: 60 });
    const error = await errorOf(callerFor(db()).caller.signUp.verify({ signUpId: taken.signUpId, code: "123456" }));
    expect(error.reason).toBe("INVALID_CODE");
    // The existing account's password did not change.
    await callerFor(db()).caller.auth.signIn({ email, password: PASSWORD });
  });

  it("refuses an address that is confirmed by someone else first, and lets an abandoned sign-up not block the owner", async () => {
    const email = uniqueEmail("race");
    const squatter = await start(email);
    const owner = await start(email);
    await callerFor(db()).caller.signUp.verify({ signUpId: owner.signUpId, code: owner.code });
    const error = await errorOf(callerFor(db()).caller.signUp.verify({ signUpId: squatter.signUpId, code: squatter.code }));
    expect(error.reason).toBe("ALREADY_REGISTERED");
    expect(await countRows(db(), "email_addresses")).toBeGreaterThan(0);
    const rows = await db().db.select().from(emailAddresses).where(eq(emailAddresses.email, email));
    expect(rows).toHaveLength(1);
  });

  it.each([
    [{ email: "not-an-email", password: PASSWORD }, "email"],
    [{ email: uniqueEmail(), password: "short" }, "password"],
    [{ email: uniqueEmail(), password: "password123" }, "password"],
    [{ email: uniqueEmail(), password: "x".repeat(257) }, "password"],
    [{ email: uniqueEmail(), password: "x".repeat(5000) }, "password"],
    [{ email: `${"a".repeat(300)}@example.test`, password: PASSWORD }, "email"],
    [{ email: uniqueEmail(), password: 12345678 }, "password"],
    [{ password: PASSWORD }, "email"],
    [{ email: uniqueEmail(), password: PASSWORD, firstName: "x".repeat(100) }, "firstName"],
    [{ email: uniqueEmail(), password: PASSWORD, locale: "xx-XX" }, "locale"],
  ])("refuses bad input %# with a 400 naming the field and writes nothing", async (input, field) => {
    const tables = ["users", "sessions", "email_addresses", "sign_up_attempts", "verifications"];
    const before = await Promise.all(tables.map((t) => countRows(db(), t)));
    const error = await errorOf(callerFor(db()).caller.auth.signUp(input as never));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toContain(field);
    expect(await Promise.all(tables.map((t) => countRows(db(), t)))).toEqual(before);
  });

  it("ignores unknown and prototype-polluting fields", async () => {
    const email = uniqueEmail("proto");
    const input = JSON.parse(`{"email":"${email}","password":"${PASSWORD}","__proto__":{"isInstanceAdmin":true},"isInstanceAdmin":true}`);
    const mail = capture();
    const started = await callerFor(db(), { mailer: mail.mailer }).caller.auth.signUp(input);
    if (started.status !== "needs_verification") throw new Error("expected a pending sign-up");
    const { caller, resHeaders } = callerFor(db());
    await caller.signUp.verify({ signUpId: started.signUpId, code: mail.codes()[0]! });
    const session = await callerFor(db(), { token: tokenFrom(resHeaders) }).caller.auth.session();
    expect(session?.user.isInstanceAdmin).toBe(false);
    expect(({} as Record<string, unknown>).isInstanceAdmin).toBeUndefined();
  });

  it("limits sign-ups per IP address and per email address", async () => {
    const ip = "192.0.2.55";
    for (let i = 0; i < 30; i++) await callerFor(db(), { ip }).caller.auth.signUp({ email: uniqueEmail("burst"), password: PASSWORD });
    const before = await countRows(db(), "sign_up_attempts");
    const error = await errorOf(callerFor(db(), { ip }).caller.auth.signUp({ email: uniqueEmail("burst"), password: PASSWORD }));
    expect(error.code).toBe("TOO_MANY_REQUESTS");
    expect(await countRows(db(), "sign_up_attempts")).toBe(before);

    const email = uniqueEmail("one-address");
    for (let i = 0; i < 5; i++) await callerFor(db()).caller.auth.signUp({ email, password: PASSWORD });
    const again = await errorOf(callerFor(db()).caller.auth.signUp({ email, password: PASSWORD }));
    expect(again.code).toBe("TOO_MANY_REQUESTS");
  });
});

describe("confirming a sign-up by code", () => {
  it("creates the user with a verified primary address and signs them in with an HttpOnly Lax cookie", async () => {
    const pending = await start();
    const { caller, resHeaders } = callerFor(db());
    const result = await caller.signUp.verify({ signUpId: pending.signUpId, code: ` ${pending.code.slice(0, 3)} ${pending.code.slice(3)} ` });
    expect(result).toEqual({ status: "complete", userId: expect.stringMatching(/^user_/), sessionId: expect.stringMatching(/^sess_/) });
    const cookie = resHeaders.getSetCookie().find((c) => c.startsWith("latchkey_session="))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).not.toMatch(/Domain=/i);
    const me = await callerFor(db(), { token: tokenFrom(resHeaders) }).caller.user.me();
    expect(me).toMatchObject({ primaryEmail: pending.email, firstName: "Ada", lastName: "Lovelace" });
    expect(me.primaryEmailVerifiedAt).toBeInstanceOf(Date);
    const [credential] = await db().db.select().from(passwordCredentials).where(eq(passwordCredentials.userId, result.userId));
    expect(credential!.hash.startsWith("$argon2id$v=19$m=19456,t=2,p=1$")).toBe(true);
    const actions = (await db().db.select().from(auditEvents).where(eq(auditEvents.targetId, pending.signUpId))).map((e) => e.action);
    expect(actions).toContain("sign_up.started");
    const [created] = await db().db.select().from(auditEvents).where(and(eq(auditEvents.action, "user.signed_up"), eq(auditEvents.targetId, result.userId)));
    expect(created).toMatchObject({ outcome: "success", actorUserId: result.userId, userAgent: "vitest" });
  });

  it("gives a wrong code, an expired code, too many attempts and a second verification each their own message", async () => {
    const wrong = await start(undefined, { now: at(0) });
    const bad = await errorOf(callerFor(db(), { now: at(1000) }).caller.signUp.verify({ signUpId: wrong.signUpId, code: wrongCode(wrong.code) }));
    expect([bad.code, bad.reason, bad.field, bad.message]).toEqual(["BAD_REQUEST", "INVALID_CODE", "code", "code: That code is not right. Check it, or ask for a new one."]);

    const expired = await errorOf(callerFor(db(), { now: at(10 * 60_000 + 1) }).caller.signUp.verify({ signUpId: wrong.signUpId, code: wrong.code }));
    expect(expired.reason).toBe("EXPIRED_CODE");

    const capped = await start();
    for (let i = 0; i < 5; i++) await errorOf(callerFor(db()).caller.signUp.verify({ signUpId: capped.signUpId, code: wrongCode(capped.code) }));
    const locked = await errorOf(callerFor(db()).caller.signUp.verify({ signUpId: capped.signUpId, code: capped.code }));
    expect(locked.reason).toBe("TOO_MANY_ATTEMPTS");

    const twice = await start();
    await callerFor(db()).caller.signUp.verify({ signUpId: twice.signUpId, code: twice.code });
    const again = await errorOf(callerFor(db()).caller.signUp.verify({ signUpId: twice.signUpId, code: twice.code }));
    expect(again.reason).toBe("ALREADY_VERIFIED");
    expect(again.message).toBe("code: This email address is already verified. You can sign in.");
    const failures = await db().db.select().from(auditEvents).where(and(eq(auditEvents.targetId, wrong.signUpId), eq(auditEvents.outcome, "failure")));
    expect(failures.length).toBeGreaterThanOrEqual(2);
  });

  it("creates exactly one account when the right code is sent twice at once", async () => {
    const pending = await start();
    const results = await Promise.allSettled(
      Array.from({ length: 4 }, () => callerFor(db()).caller.signUp.verify({ signUpId: pending.signUpId, code: pending.code })),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results) if (r.status === "rejected") expect((r.reason as { reason?: string }).reason).toBe("ALREADY_VERIFIED");
    expect(await db().db.select().from(emailAddresses).where(eq(emailAddresses.email, pending.email))).toHaveLength(1);
  });

  it("does not accept more than 5 guesses even when they arrive at once", async () => {
    const pending = await start();
    const guesses = Array.from({ length: 8 }, (_, i) => wrongCode(String((Number(pending.code) + i) % 1_000_000)));
    await Promise.allSettled(guesses.map((code) => callerFor(db()).caller.signUp.verify({ signUpId: pending.signUpId, code })));
    const after = await errorOf(callerFor(db()).caller.signUp.verify({ signUpId: pending.signUpId, code: pending.code }));
    expect(after.reason).toBe("TOO_MANY_ATTEMPTS");
  });

  it("refuses a sign-up older than a day, and an unknown one, as expired", async () => {
    const pending = await start(undefined, { now: at(0) });
    const late = await errorOf(callerFor(db(), { now: at(24 * 3600_000 + 1) }).caller.signUp.verify({ signUpId: pending.signUpId, code: pending.code }));
    expect(late.reason).toBe("SIGN_UP_EXPIRED");
    const unknown = await errorOf(callerFor(db()).caller.signUp.verify({ signUpId: "sua_aaaaaaaaaaaaaaaaaaaaaaaa", code: "123456" }));
    expect(unknown.reason).toBe("SIGN_UP_EXPIRED");
  });

  it.each([
    [{ signUpId: "nope", code: "123456" }, "signUpId"],
    [{ signUpId: "sua_x".padEnd(200, "x"), code: "123456" }, "signUpId"],
    [{ signUpId: "sua_abc", code: "12ab56" }, "code"],
    [{ signUpId: "sua_abc", code: "" }, "code"],
    [{ signUpId: "sua_abc", code: "1".repeat(5000) }, "code"],
    [{ signUpId: "sua_abc", code: 123456 }, "code"],
    [{ code: "123456" }, "signUpId"],
  ])("refuses bad input to signUp.verify %# with a 400 naming the field", async (input, field) => {
    const before = await countRows(db(), "users");
    const error = await errorOf(callerFor(db()).caller.signUp.verify(input as never));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toContain(field);
    expect(await countRows(db(), "users")).toBe(before);
  });
});

describe("confirming a sign-up by link", () => {
  it("creates the account and signs in once; the link and the code are spent afterwards", async () => {
    const pending = await start();
    const { caller, resHeaders } = callerFor(db());
    const result = await caller.signUp.confirmLink({ token: pending.token() });
    expect(result.status).toBe("complete");
    expect(tokenFrom(resHeaders)).toMatch(/^sess_/);
    const again = await errorOf(callerFor(db()).caller.signUp.confirmLink({ token: pending.token() }));
    expect(again.reason).toBe("ALREADY_VERIFIED");
    const code = await errorOf(callerFor(db()).caller.signUp.verify({ signUpId: pending.signUpId, code: pending.code }));
    expect(code.reason).toBe("ALREADY_VERIFIED");
  });

  it("refuses an expired link and a forged one", async () => {
    const pending = await start(undefined, { now: at(0) });
    const late = await errorOf(callerFor(db(), { now: at(10 * 60_000 + 1) }).caller.signUp.confirmLink({ token: pending.token() }));
    expect(late.reason).toBe("EXPIRED_TOKEN");
    const [id] = pending.token().split(".");
    const forged = await errorOf(callerFor(db()).caller.signUp.confirmLink({ token: `${id}.${"a".repeat(39)}` }));
    expect(forged.reason).toBe("INVALID_TOKEN");
  });

  it.each([[{ token: "" }], [{ token: "x".repeat(5000) }], [{ token: 42 }], [{}]])(
    "refuses bad input to signUp.confirmLink %# with a 400 naming the token",
    async (input) => {
      const error = await errorOf(callerFor(db()).caller.signUp.confirmLink(input as never));
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.message).toContain("token");
    },
  );
});

describe("resending the code", () => {
  it("waits a minute between emails, then sends a new code and kills the old one", async () => {
    const pending = await start(undefined, { now: at(0) });
    const soon = await errorOf(callerFor(db(), { mailer: pending.mailer, now: at(30_000) }).caller.signUp.resend({ signUpId: pending.signUpId }));
    expect([soon.code, soon.reason]).toEqual(["TOO_MANY_REQUESTS", "RESEND_COOLDOWN"]);
    expect((soon as { retryAfterSeconds?: number }).retryAfterSeconds).toBe(30);
    expect((await callerFor(db(), { now: at(30_000) }).caller.signUp.get({ signUpId: pending.signUpId })).resendInSeconds).toBe(30);

    await callerFor(db(), { mailer: pending.mailer, now: at(61_000) }).caller.signUp.resend({ signUpId: pending.signUpId });
    const [first, second] = pending.codes();
    expect(pending.codes()).toHaveLength(2);
    if (first !== second) {
      const old = await errorOf(callerFor(db(), { now: at(62_000) }).caller.signUp.verify({ signUpId: pending.signUpId, code: first! }));
      expect(old.reason).toBe("INVALID_CODE");
    }
    const done = await callerFor(db(), { now: at(63_000) }).caller.signUp.verify({ signUpId: pending.signUpId, code: second! });
    expect(done.status).toBe("complete");
  });

  it("sends one email when resend is pressed twice at once, and re-sends the owner notice for a taken address", async () => {
    const pending = await start(undefined, { now: at(0) });
    const results = await Promise.allSettled(
      [1, 2, 3].map(() => callerFor(db(), { mailer: pending.mailer, now: at(61_000) }).caller.signUp.resend({ signUpId: pending.signUpId })),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(pending.codes()).toHaveLength(2);

    const { email } = await signUp(db());
    const mail = capture();
    const taken = await callerFor(db(), { mailer: mail.mailer, now: at(0) }).caller.auth.signUp({ email, password: PASSWORD });
    if (taken.status !== "needs_verification") throw new Error("expected a pending sign-up");
    await callerFor(db(), { mailer: mail.mailer, now: at(61_000) }).caller.signUp.resend({ signUpId: taken.signUpId });
    expect(mail.sent.map((m) => m.kind)).toEqual(["account-exists", "account-exists"]);
  });

  it("refuses a finished sign-up and bad input", async () => {
    const pending = await start(undefined, { now: at(0) });
    await callerFor(db(), { now: at(1000) }).caller.signUp.verify({ signUpId: pending.signUpId, code: pending.code });
    const done = await errorOf(callerFor(db(), { now: at(120_000) }).caller.signUp.resend({ signUpId: pending.signUpId }));
    expect(done.reason).toBe("ALREADY_VERIFIED");
    for (const input of [{}, { signUpId: "" }, { signUpId: "user_abc" }, { signUpId: 5 }]) {
      const error = await errorOf(callerFor(db()).caller.signUp.resend(input as never));
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.message).toContain("signUpId");
    }
    const unknown = await errorOf(callerFor(db()).caller.signUp.get({ signUpId: "sua_aaaaaaaaaaaaaaaaaaaaaaaa" }));
    expect(unknown.code).toBe("NOT_FOUND");
  });
});

describe("when the instance lets unverified users in", () => {
  it("signs a new user in at once with an unverified address, and confirms it later by code or by link", async () => {
    await updateInstanceSettings(db().db, { requireEmailVerification: false });
    try {
      const email = uniqueEmail("open");
      const mail = capture();
      const { caller, resHeaders } = callerFor(db(), { mailer: mail.mailer });
      const result = await caller.auth.signUp({ email, password: PASSWORD });
      expect(result.status).toBe("complete");
      const token = tokenFrom(resHeaders)!;
      expect((await callerFor(db(), { token }).caller.user.me()).primaryEmailVerifiedAt).toBeNull();
      const wrong = await errorOf(callerFor(db(), { token }).caller.emailVerification.verify({ code: wrongCode(mail.codes()[0]!) }));
      expect(wrong.reason).toBe("INVALID_CODE");
      await callerFor(db(), { token }).caller.emailVerification.verify({ code: mail.codes()[0]! });
      expect((await callerFor(db(), { token }).caller.user.me()).primaryEmailVerifiedAt).toBeInstanceOf(Date);
      const twice = await errorOf(callerFor(db(), { token }).caller.emailVerification.send());
      expect(twice.reason).toBe("ALREADY_VERIFIED");

      // By link, for a second user; the link confirms but does not sign in.
      const other = uniqueEmail("open-link");
      const linkMail = capture();
      const second = callerFor(db(), { mailer: linkMail.mailer });
      await second.caller.auth.signUp({ email: other, password: PASSWORD });
      const confirm = callerFor(db());
      expect(await confirm.caller.emailVerification.confirmLink({ token: linkMail.token() })).toEqual({ verified: true });
      expect(confirm.resHeaders.getSetCookie()).toEqual([]);
      const [row] = await db().db.select().from(emailAddresses).where(eq(emailAddresses.email, other));
      expect(row!.verifiedAt).toBeInstanceOf(Date);
      const reused = await errorOf(callerFor(db()).caller.emailVerification.confirmLink({ token: linkMail.token() }));
      expect(reused.reason).toBe("ALREADY_VERIFIED");

      // A taken address still gets no session; its owner is emailed.
      const ownerMail = capture();
      const taken = callerFor(db(), { mailer: ownerMail.mailer });
      expect((await taken.caller.auth.signUp({ email, password: PASSWORD })).status).toBe("needs_verification");
      expect(taken.resHeaders.getSetCookie()).toEqual([]);
      expect(ownerMail.sent.map((m) => m.kind)).toEqual(["account-exists"]);
    } finally {
      await updateInstanceSettings(db().db, { requireEmailVerification: true });
    }
  });

  it("refuses bad input to emailVerification.verify and an anonymous caller", async () => {
    const { token } = await signUp(db());
    for (const code of ["", "abcdef", "1".repeat(100)]) {
      const error = await errorOf(callerFor(db(), { token }).caller.emailVerification.verify({ code }));
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.message).toContain("code");
    }
    expect((await errorOf(callerFor(db()).caller.emailVerification.send())).code).toBe("UNAUTHORIZED");
    const verified = await errorOf(callerFor(db(), { token }).caller.emailVerification.verify({ code: "123456" }));
    expect(verified.reason).toBe("ALREADY_VERIFIED");
  });
});

describe("instance settings", () => {
  it("refuses unknown keys and wrong types, and keeps the default when the stored value is malformed", async () => {
    await expect(updateInstanceSettings(db().db, { requireEmailVerification: "no" } as never)).rejects.toThrow();
    await expect(updateInstanceSettings(db().db, { somethingElse: true } as never)).rejects.toThrow();
    await db().query(`insert into instance_settings (id, settings) values ('default', '{"requireEmailVerification": "yes"}') on conflict (id) do update set settings = excluded.settings`);
    const { getInstanceSettings } = await import("../instance-settings.ts");
    expect(await getInstanceSettings(db().db)).toMatchObject({ requireEmailVerification: true, maxMembershipsPerOrganization: null, requireMfa: false });
    await db().query(`delete from instance_settings`);
  });
});

it("keeps users out of the users table when every pending sign-up is abandoned", async () => {
  const before = await countRows(db(), "users");
  await start();
  await start();
  expect(await countRows(db(), "users")).toBe(before);
  expect((await db().db.select().from(users)).length).toBe(before);
});

it("forgets sign-ups that expired before the cut-off, and keeps the others", async () => {
  const old = await start(undefined, { now: () => new Date("2026-01-01T00:00:00Z") });
  const recent = await start();
  await pruneSignUpAttempts(db().db, new Date("2026-02-01T00:00:00Z"));
  const ids = (await db().db.select({ id: signUpAttempts.id }).from(signUpAttempts)).map((r) => r.id);
  expect(ids).not.toContain(old.signUpId);
  expect(ids).toContain(recent.signUpId);
});

// signup: sign-up modes, allow- and blocklists, sign-up fields, minimum password length ---------------------------------
describe("sign-up under the instance settings", () => {
  /** Runs `fn` with some settings changed, then puts those keys back as they were (each change bites on the next request). */
  async function withSettings(patch: Parameters<typeof updateInstanceSettings>[1], fn: () => Promise<void>) {
    const before = await getInstanceSettings(db().db);
    await updateInstanceSettings(db().db, patch);
    try {
      await fn();
    } finally {
      await updateInstanceSettings(db().db, Object.fromEntries(Object.keys(patch).map((key) => [key, before[key as keyof typeof before]])));
    }
  }

  async function inviteByAdmin(email: string) {
    const { mailer, sent } = createMemoryMailer();
    const root = await signUp(db(), uniqueEmail("root"));
    await db().db.update(users).set({ isInstanceAdmin: true }).where(eq(users.id, root.userId));
    const invitation = await callerFor(db(), { token: root.token, mailer }).caller.waitlist.invite({ email });
    const mail = sent.find((m) => m.kind === "instance-invitation");
    if (mail?.kind !== "instance-invitation") throw new Error("no invitation email");
    return { invitation, token: new URL(mail.values.link).searchParams.get("invitation")! };
  }

  const signUpWith = (input: Record<string, unknown>, mailer = capture().mailer) =>
    callerFor(db(), { mailer }).caller.auth.signUp({ password: PASSWORD, ...input } as never);

  it("refuses sign-up without an invitation in invite-only mode with 403 SIGN_UP_RESTRICTED, the same for an address with an account, writing nothing", async () => {
    const { email: taken } = await signUp(db());
    await withSettings({ signUpMode: "invite_only" }, async () => {
      const before = await countRows(db(), "sign_up_attempts");
      const fresh = await errorOf(signUpWith({ email: uniqueEmail("uninvited") }));
      const existing = await errorOf(signUpWith({ email: taken }));
      expect(fresh).toMatchObject({ code: "FORBIDDEN", reason: "SIGN_UP_RESTRICTED" });
      expect({ code: existing.code, reason: existing.reason, message: existing.message }).toEqual({ code: fresh.code, reason: fresh.reason, message: fresh.message });
      expect(await countRows(db(), "sign_up_attempts")).toBe(before);
    });
    // Back to public: the next request may sign up.
    expect((await signUpWith({ email: uniqueEmail("after") })).status).toBe("needs_verification");
  });

  it("refuses sign-up in waitlist mode with SIGN_UP_WAITLIST", async () => {
    await withSettings({ signUpMode: "waitlist" }, async () => {
      expect(await errorOf(signUpWith({ email: uniqueEmail("eager") }))).toMatchObject({ code: "FORBIDDEN", reason: "SIGN_UP_WAITLIST" });
    });
  });

  it("lets an invited address sign up once in invite-only mode, and accepts the invitation with the account", async () => {
    const email = uniqueEmail("invited");
    const { invitation, token } = await inviteByAdmin(email);
    await withSettings({ signUpMode: "invite_only" }, async () => {
      // Another address can't use it; a forged token is refused.
      const mismatch = await errorOf(signUpWith({ email: uniqueEmail("other"), invitation: token }));
      expect(mismatch).toMatchObject({ code: "FORBIDDEN", reason: "INVITATION_EMAIL_MISMATCH", field: "email" });
      expect((await errorOf(signUpWith({ email, invitation: "lkinv_forged" }))).reason).toBe("INVITATION_INVALID");
      const mail = capture();
      const started = await signUpWith({ email, invitation: token }, mail.mailer);
      if (started.status !== "needs_verification") throw new Error("expected a pending sign-up");
      const [attempt] = await db().db.select().from(signUpAttempts).where(eq(signUpAttempts.id, started.signUpId));
      expect(attempt!.instanceInvitationId).toBe(invitation.id);
      const done = await callerFor(db()).caller.signUp.verify({ signUpId: started.signUpId, code: mail.codes()[0]! });
      expect(done.status).toBe("complete");
      const [row] = await db().db.select().from(instanceInvitations).where(eq(instanceInvitations.id, invitation.id));
      expect(row!.acceptedAt).toBeInstanceOf(Date);
      const reused = await errorOf(signUpWith({ email, invitation: token }));
      expect(reused).toMatchObject({ code: "FORBIDDEN", reason: "INVITATION_ALREADY_USED", field: "invitation" });
    });
  });

  it("refuses a revoked or expired invitation", async () => {
    const email = uniqueEmail("revoked");
    const { invitation, token } = await inviteByAdmin(email);
    await db().db.update(instanceInvitations).set({ revokedAt: new Date() }).where(eq(instanceInvitations.id, invitation.id));
    const expired = await inviteByAdmin(uniqueEmail("expired"));
    await db().db.update(instanceInvitations).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(instanceInvitations.id, expired.invitation.id));
    await withSettings({ signUpMode: "invite_only" }, async () => {
      expect((await errorOf(signUpWith({ email, invitation: token }))).reason).toBe("INVITATION_REVOKED");
      expect((await errorOf(signUpWith({ email: expired.invitation.email, invitation: expired.token }))).reason).toBe("INVITATION_EXPIRED");
    });
  });

  it("refuses to finish a sign-up when the invitation was revoked after it started, or when the instance closed meanwhile", async () => {
    const email = uniqueEmail("late-revoke");
    const { invitation, token } = await inviteByAdmin(email);
    const before = await countRows(db(), "users");
    await withSettings({ signUpMode: "invite_only" }, async () => {
      const mail = capture();
      const started = await signUpWith({ email, invitation: token }, mail.mailer);
      if (started.status !== "needs_verification") throw new Error("expected a pending sign-up");
      await db().db.update(instanceInvitations).set({ revokedAt: new Date() }).where(eq(instanceInvitations.id, invitation.id));
      const refused = await errorOf(callerFor(db()).caller.signUp.verify({ signUpId: started.signUpId, code: mail.codes()[0]! }));
      expect(refused).toMatchObject({ code: "FORBIDDEN", reason: "INVITATION_ALREADY_USED" });
    });
    // Started while public, confirmed after the switch to invite-only: refused.
    const open = await start();
    await withSettings({ signUpMode: "invite_only" }, async () => {
      const refused = await errorOf(callerFor(db()).caller.signUp.verify({ signUpId: open.signUpId, code: open.code }));
      expect(refused).toMatchObject({ code: "FORBIDDEN", reason: "SIGN_UP_RESTRICTED" });
    });
    expect(await countRows(db(), "users")).toBe(before);
  });

  it("lets an address with an open organization invitation sign up in invite-only mode", async () => {
    const { org, admin } = await createOrgWithMember(db(), "Gatekeepers");
    const email = uniqueEmail("org-invitee");
    await callerFor(db(), { token: admin.token, orgSlug: org.slug }).caller.invitation.create({ emails: [email], roleKey: "org:member" });
    await withSettings({ signUpMode: "invite_only" }, async () => {
      const mail = capture();
      const started = await signUpWith({ email }, mail.mailer);
      if (started.status !== "needs_verification") throw new Error("expected a pending sign-up");
      expect((await callerFor(db()).caller.signUp.verify({ signUpId: started.signUpId, code: mail.codes()[0]! })).status).toBe("complete");
    });
  });

  it("refuses addresses outside the allowlist or on the blocklist with 403 naming email, whether or not they have an account", async () => {
    const { email: taken } = await signUp(db(), `owner-${Math.random().toString(36).slice(2, 8)}@blocked.test`);
    await withSettings({ blocklist: ["blocked.test", "mallory@example.test"] }, async () => {
      for (const email of [taken, `x${Math.random().toString(36).slice(2, 6)}@sub.blocked.test`, "mallory@example.test"]) {
        const error = await errorOf(signUpWith({ email }));
        expect(error).toMatchObject({ code: "FORBIDDEN", reason: "EMAIL_NOT_ALLOWED", field: "email" });
        expect(error.message).toBe("email: This address can't be used to sign up.");
      }
      expect((await signUpWith({ email: uniqueEmail("fine") })).status).toBe("needs_verification");
    });
    await withSettings({ allowlist: ["allowed.test"] }, async () => {
      expect((await errorOf(signUpWith({ email: uniqueEmail("outsider") }))).reason).toBe("EMAIL_NOT_ALLOWED");
      expect((await signUpWith({ email: `in-${Math.random().toString(36).slice(2, 8)}@allowed.test` })).status).toBe("needs_verification");
    });
  });

  it("applies the minimum password length from the settings on the next request", async () => {
    await withSettings({ minPasswordLength: 20 }, async () => {
      const error = await errorOf(signUpWith({ email: uniqueEmail("short"), password: "seventeen letters" }));
      expect(error).toMatchObject({ code: "BAD_REQUEST", reason: "PASSWORD_TOO_SHORT", field: "password" });
      expect(error.message).toContain("20");
      expect((await signUpWith({ email: uniqueEmail("long"), password: "a much longer passphrase here" })).status).toBe("needs_verification");
    });
    expect((await signUpWith({ email: uniqueEmail("short-ok"), password: "seventeen letters" })).status).toBe("needs_verification");
  });

  it("ignores hidden fields even when posted, and requires required ones naming the field", async () => {
    // Defaults: username and phone hidden.
    const mail = capture();
    const started = await signUpWith({ email: uniqueEmail("hidden"), username: "sneaky", phone: "+48601234567" }, mail.mailer);
    if (started.status !== "needs_verification") throw new Error("expected a pending sign-up");
    const [attempt] = await db().db.select().from(signUpAttempts).where(eq(signUpAttempts.id, started.signUpId));
    expect({ username: attempt!.username, phone: attempt!.phone }).toEqual({ username: null, phone: null });

    await withSettings({ signUpFields: { username: "required", firstName: "required", lastName: "hidden", phone: "required" } }, async () => {
      for (const [field, input] of [
        ["username", { firstName: "Ada", phone: "+48601234567" }],
        ["firstName", { username: "ada_l", phone: "+48601234567" }],
        ["phone", { username: "ada_l", firstName: "Ada" }],
      ] as const) {
        const error = await errorOf(signUpWith({ email: uniqueEmail("required"), ...input }));
        expect(error).toMatchObject({ code: "BAD_REQUEST", field });
        expect(error.message.startsWith(`${field}: `)).toBe(true);
      }
      const badFormat = await errorOf(signUpWith({ email: uniqueEmail("fmt"), firstName: "Ada", username: "no spaces!", phone: "+48601234567" }));
      expect(badFormat).toMatchObject({ code: "BAD_REQUEST", field: "username" });
      const badPhone = await errorOf(signUpWith({ email: uniqueEmail("fmt"), firstName: "Ada", username: "ada_ok", phone: "601 234" }));
      expect(badPhone).toMatchObject({ code: "BAD_REQUEST", field: "phone" });
    });
  });

  it("keeps username and phone on the sign-up until the address is confirmed, then writes them (the phone unverified)", async () => {
    await withSettings({ signUpFields: { username: "optional", firstName: "optional", lastName: "optional", phone: "optional" } }, async () => {
      const username = `ada_${Math.random().toString(36).slice(2, 8)}`;
      const mail = capture();
      const email = uniqueEmail("fields");
      const started = await signUpWith({ email, username, phone: "+48 601 234 567", lastName: "Lovelace" }, mail.mailer);
      if (started.status !== "needs_verification") throw new Error("expected a pending sign-up");
      const [attempt] = await db().db.select().from(signUpAttempts).where(eq(signUpAttempts.id, started.signUpId));
      expect({ username: attempt!.username, phone: attempt!.phone }).toEqual({ username, phone: "+48601234567" });
      expect(await db().db.select().from(users).where(eq(users.username, username))).toEqual([]);

      // The same username in other letters is taken once an account has it.
      const done = await callerFor(db()).caller.signUp.verify({ signUpId: started.signUpId, code: mail.codes()[0]! });
      if (done.status !== "complete") throw new Error("expected a finished sign-up");
      const [user] = await db().db.select().from(users).where(eq(users.id, done.userId));
      expect(user).toMatchObject({ username, lastName: "Lovelace" });
      const phones = await db().db.select().from(phoneNumbers).where(eq(phoneNumbers.userId, done.userId));
      expect(phones.map((p) => [p.phone, p.verifiedAt, p.usedForMfa])).toEqual([["+48601234567", null, false]]);

      const duplicate = await errorOf(signUpWith({ email: uniqueEmail("dup"), username: username.toUpperCase() }));
      expect(duplicate).toMatchObject({ code: "CONFLICT", reason: "USERNAME_TAKEN", field: "username" });
    });
  });

  it("refuses a username taken between starting and confirming, naming username", async () => {
    await withSettings({ signUpFields: { username: "optional", firstName: "optional", lastName: "optional", phone: "hidden" } }, async () => {
      const username = `race_${Math.random().toString(36).slice(2, 8)}`;
      const a = capture();
      const b = capture();
      const first = await signUpWith({ email: uniqueEmail("race-a"), username }, a.mailer);
      const second = await signUpWith({ email: uniqueEmail("race-b"), username }, b.mailer);
      if (first.status !== "needs_verification" || second.status !== "needs_verification") throw new Error("expected pending sign-ups");
      expect((await callerFor(db()).caller.signUp.verify({ signUpId: first.signUpId, code: a.codes()[0]! })).status).toBe("complete");
      const lost = await errorOf(callerFor(db()).caller.signUp.verify({ signUpId: second.signUpId, code: b.codes()[0]! }));
      expect(lost).toMatchObject({ code: "CONFLICT", reason: "USERNAME_TAKEN", field: "username" });
    });
  });

  it("writes username and phone at once when unverified users are let in", async () => {
    await withSettings(
      { requireEmailVerification: false, signUpFields: { username: "optional", firstName: "optional", lastName: "optional", phone: "optional" } },
      async () => {
        const username = `open_${Math.random().toString(36).slice(2, 8)}`;
        const result = await signUpWith({ email: uniqueEmail("open-fields"), username, phone: "+48601234999" });
        if (result.status !== "complete") throw new Error("expected a new user");
        const [user] = await db().db.select().from(users).where(eq(users.id, result.userId));
        expect(user!.username).toBe(username);
        const phones = await db().db.select().from(phoneNumbers).where(eq(phoneNumbers.userId, result.userId));
        expect(phones.map((p) => [p.phone, p.verifiedAt])).toEqual([["+48601234999", null]]);
      },
    );
  });

  it.each([
    [{ username: "x".repeat(100) }],
    [{ phone: "+".repeat(40) }],
    [{ invitation: "i".repeat(500) }],
    [{ username: 42 }],
  ])("refuses oversized or wrongly typed extra fields %j with 400", async (extra) => {
    const error = await errorOf(signUpWith({ email: uniqueEmail("bad"), ...extra }));
    expect(error.code).toBe("BAD_REQUEST");
  });
});
