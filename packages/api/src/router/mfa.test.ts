import { describe, expect, it } from "vitest";
import { and, eq, gt } from "drizzle-orm";
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { auditEvents, backupCodes, sessions, signInChallenges, totpFactors } from "@latchkey/db";
import { useTestDb } from "@latchkey/db/testing";
import { totpCodeAt, totpStepAt } from "@latchkey/auth";
import { createMemoryMailer } from "../mail/index.ts";
import { updateInstanceSettings } from "../instance-settings.ts";
import { completeSignIn } from "../sign-in.ts";
import { callerFor, createOrgWithMember, errorOf, PASSWORD, signUp, tokenFrom, uniqueEmail } from "../../test/helpers.ts";

const db = useTestDb();
const SECOND = 1000;
const MINUTE = 60 * SECOND;

/**
 * A clock `ms` after a fixed start, so every step of a test knows which TOTP step it is in. It starts a little ahead
 * of the wall clock, so sessions signed up just before count as freshly verified (not from the future).
 */
function clock() {
  const t0 = Date.now() + 30 * SECOND;
  return (ms: number) => () => new Date(t0 + ms);
}

const codeAt = (secret: Uint8Array, now: () => Date) => totpCodeAt(secret, totpStepAt(now()));

function challengeFrom(resHeaders: Headers): string | null {
  for (const cookie of resHeaders.getSetCookie()) {
    const match = /^latchkey_sign_in=([^;]*)/.exec(cookie);
    if (match && match[1]) return decodeURIComponent(match[1]);
  }
  return null;
}

/** Turns TOTP on for a signed-in user, reading the key as a person would. */
async function enrol(token: string, now: () => Date, mailer = createMemoryMailer().mailer) {
  const api = callerFor(db(), { token, now, mailer }).caller;
  const started = await api.mfa.totp.start();
  const secret = decodeBase32IgnorePadding(started.key.replace(/ /g, ""));
  const confirmed = await api.mfa.totp.confirm({ code: codeAt(secret, now) });
  return { secret, backupCodes: confirmed.backupCodes!, started };
}

async function passwordStep(email: string, now: () => Date) {
  const { caller, resHeaders } = callerFor(db(), { now });
  const result = await caller.auth.signIn({ email, password: PASSWORD });
  return { result, resHeaders, challenge: challengeFrom(resHeaders) };
}

const secondStep = (challenge: string | null, now: () => Date) => callerFor(db(), { signInChallengeToken: challenge, now });

async function eventsOf(userId: string, action: string) {
  return db().db.select().from(auditEvents).where(and(eq(auditEvents.actorUserId, userId), eq(auditEvents.action, action)));
}

describe("TOTP enrolment", () => {
  it("starts with a key, an otpauth URI and an SVG QR code, and turns on only after a right code", async () => {
    const at = clock();
    const user = await signUp(db());
    const { mailer, sent } = createMemoryMailer();
    const api = callerFor(db(), { token: user.token, now: at(0), mailer }).caller;
    const started = await api.mfa.totp.start();
    expect(started.key).toMatch(/^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/);
    expect(started.uri).toContain(`otpauth://totp/Latchkey:${encodeURIComponent(user.email)}?secret=${started.key.replace(/ /g, "")}`);
    expect(started.svg).toMatch(/^<svg/);
    expect((await api.mfa.status()).totp).toMatchObject({ enabled: false, pending: true });
    expect((await api.mfa.totp.pending())?.key).toBe(started.key);

    // The secret is stored encrypted, never as the key text.
    const [row] = await db().db.select().from(totpFactors).where(eq(totpFactors.userId, user.userId));
    expect(row!.secretEncrypted).not.toContain(started.key.replace(/ /g, ""));
    expect(row!.verifiedAt).toBeNull();

    const secret = decodeBase32IgnorePadding(started.key.replace(/ /g, ""));
    const wrong = await errorOf(api.mfa.totp.confirm({ code: codeAt(secret, at(5 * MINUTE)) }));
    expect([wrong.code, wrong.reason, wrong.field]).toEqual(["BAD_REQUEST", "INVALID_CODE", "code"]);
    expect((await api.mfa.status()).totp.enabled).toBe(false);

    const confirmed = await api.mfa.totp.confirm({ code: codeAt(secret, at(0)) });
    expect(confirmed.backupCodes).toHaveLength(10);
    expect(await api.mfa.totp.pending()).toBeNull();
    const status = await api.mfa.status();
    expect(status.totp.enabled).toBe(true);
    expect(status.backupCodesRemaining).toBe(10);
    // Backup codes are stored as SHA-256 only.
    const stored = await db().db.select({ codeHash: backupCodes.codeHash }).from(backupCodes).where(eq(backupCodes.userId, user.userId));
    expect(stored.map((s) => s.codeHash).join()).not.toContain(confirmed.backupCodes![0]);
    expect(sent.filter((m) => m.kind === "security-notice").map((m) => m.kind === "security-notice" && m.values.event)).toEqual(["totp_added", "backup_codes_generated"]);
    expect((await eventsOf(user.userId, "mfa.totp.enabled")).map((e) => e.outcome).sort()).toEqual(["failure", "success"]);
  });

  it("refuses a code used once already (the same step can't be used twice)", async () => {
    const at = clock();
    const user = await signUp(db());
    const { secret } = await enrol(user.token, at(0));
    // The code that turned TOTP on can't finish a sign-in in the same 30 seconds.
    const { challenge } = await passwordStep(user.email, at(1 * SECOND));
    const replay = await errorOf(secondStep(challenge, at(2 * SECOND)).caller.signIn.secondFactor({ strategy: "totp", code: codeAt(secret, at(0)) }));
    expect(replay.reason).toBe("INVALID_CODE");
    // A later code works once, and not again.
    const first = secondStep(challenge, at(61 * SECOND));
    await first.caller.signIn.secondFactor({ strategy: "totp", code: codeAt(secret, at(61 * SECOND)) });
    const again = await passwordStep(user.email, at(62 * SECOND));
    const reused = await errorOf(secondStep(again.challenge, at(63 * SECOND)).caller.signIn.secondFactor({ strategy: "totp", code: codeAt(secret, at(61 * SECOND)) }));
    expect(reused.reason).toBe("INVALID_CODE");
  });

  it("can't start over a verified TOTP, and needs a recent password check to start or remove it", async () => {
    const at = clock();
    const user = await signUp(db());
    await enrol(user.token, at(0));
    const again = await errorOf(callerFor(db(), { token: user.token, now: at(SECOND) }).caller.mfa.totp.start());
    expect(again.code).toBe("CONFLICT");
    const stale = await errorOf(callerFor(db(), { token: user.token, now: at(11 * MINUTE) }).caller.mfa.totp.remove());
    expect([stale.code, stale.reason]).toEqual(["FORBIDDEN", "REVERIFICATION_REQUIRED"]);
    const regenerate = await errorOf(callerFor(db(), { token: user.token, now: at(11 * MINUTE) }).caller.mfa.backupCodes.regenerate());
    expect(regenerate.reason).toBe("REVERIFICATION_REQUIRED");
    expect((await callerFor(db(), { token: user.token, now: at(11 * MINUTE) }).caller.mfa.status()).totp.enabled).toBe(true);
  });

  it("removes TOTP (and the backup codes with the last factor), notifies, and then sign-in needs no second step", async () => {
    const at = clock();
    const user = await signUp(db());
    await enrol(user.token, at(0));
    const { mailer, sent } = createMemoryMailer();
    await callerFor(db(), { token: user.token, now: at(MINUTE), mailer }).caller.mfa.totp.remove();
    expect(await db().db.select().from(backupCodes).where(eq(backupCodes.userId, user.userId))).toEqual([]);
    expect(sent.map((m) => m.kind === "security-notice" && m.values.event)).toEqual(["totp_removed"]);
    const { result } = await passwordStep(user.email, at(2 * MINUTE));
    expect(result.status).toBe("complete");
    const missing = await errorOf(callerFor(db(), { token: user.token, now: at(3 * MINUTE) }).caller.mfa.totp.remove());
    expect(missing.code).toBe("NOT_FOUND");
  });

  it("ends the user's other sessions when a factor is added", async () => {
    const at = clock();
    const user = await signUp(db());
    const other = await callerFor(db()).caller.auth.signIn({ email: user.email, password: PASSWORD });
    expect(other.status).toBe("complete");
    await enrol(user.token, at(0));
    const left = await db().db.select({ id: sessions.id }).from(sessions).where(eq(sessions.userId, user.userId));
    expect(left).toHaveLength(1);
  });

  it("refuses bad input naming the field, and anonymous callers", async () => {
    const user = await signUp(db());
    const api = callerFor(db(), { token: user.token }).caller;
    await api.mfa.totp.start();
    const empty = await errorOf(api.mfa.totp.confirm({ code: "" }));
    expect([empty.code, empty.field ?? empty.message]).toEqual(["BAD_REQUEST", expect.stringContaining("code")]);
    const notStarted = await errorOf(callerFor(db(), { token: (await signUp(db())).token }).caller.mfa.totp.confirm({ code: "123456" }));
    expect(notStarted.reason).toBe("TOTP_NOT_STARTED");
    expect((await errorOf(callerFor(db()).caller.mfa.status())).code).toBe("UNAUTHORIZED");
    expect((await errorOf(callerFor(db()).caller.mfa.totp.start())).code).toBe("UNAUTHORIZED");
  });
});

describe("the second step of sign-in", () => {
  it("gives no session cookie after the password, only a challenge cookie; the right code gives the session", async () => {
    const at = clock();
    const user = await signUp(db());
    const { secret } = await enrol(user.token, at(0));
    const { result, resHeaders, challenge } = await passwordStep(user.email, at(MINUTE));
    expect(result).toEqual({ status: "needs_second_factor", userId: user.userId, strategies: ["totp", "backup_code"] });
    expect(tokenFrom(resHeaders)).toBeNull();
    const cookie = resHeaders.getSetCookie().find((c) => c.startsWith("latchkey_sign_in="))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(challenge).toMatch(/^[a-z2-7]{32}$/);
    // The challenge token is not a session.
    expect((await errorOf(callerFor(db(), { token: challenge }).caller.user.me())).code).toBe("UNAUTHORIZED");
    const [row] = await db().db.select().from(signInChallenges).where(eq(signInChallenges.userId, user.userId));
    expect(row!.tokenHash).not.toContain(challenge!);
    expect(row!.expiresAt.getTime() - at(MINUTE)().getTime()).toBe(10 * MINUTE);

    const pending = secondStep(challenge, at(MINUTE + SECOND));
    expect(await pending.caller.signIn.challenge()).toMatchObject({ strategies: ["totp", "backup_code"] });
    const done = secondStep(challenge, at(MINUTE + 2 * SECOND));
    const finished = await done.caller.signIn.secondFactor({ strategy: "totp", code: codeAt(secret, at(MINUTE)) });
    expect(finished.status).toBe("complete");
    const token = tokenFrom(done.resHeaders);
    expect(token).toMatch(/^sess_/);
    expect(done.resHeaders.getSetCookie().some((c) => /^latchkey_sign_in=;.*Max-Age=0/.test(c))).toBe(true);
    expect((await callerFor(db(), { token }).caller.user.me()).id).toBe(user.userId);
    const [signInEvent] = (await eventsOf(user.userId, "session.sign_in")).filter((e) => e.actorSessionId === finished.sessionId);
    expect(signInEvent!.details).toEqual({ method: "password", secondFactor: "totp" });
    // Used up.
    const reuse = await errorOf(secondStep(challenge, at(2 * MINUTE)).caller.signIn.secondFactor({ strategy: "totp", code: codeAt(secret, at(2 * MINUTE)) }));
    expect(reuse.reason).toBe("SIGN_IN_CHALLENGE_EXPIRED");
  });

  it("asks for the second factor after an emailed-code sign-in too, but not after a passkey", async () => {
    const at = clock();
    const user = await signUp(db());
    await enrol(user.token, at(0));
    const { mailer, sent } = createMemoryMailer();
    await callerFor(db(), { mailer }).caller.passwordless.requestCode({ email: user.email });
    const mail = sent.find((m) => m.kind === "sign-in-code")!;
    const code = mail.kind === "sign-in-code" ? mail.values.code : "";
    const viaCode = await callerFor(db()).caller.passwordless.verifyCode({ email: user.email, code });
    expect(viaCode.status).toBe("needs_second_factor");
    const { ctx, resHeaders } = callerFor(db());
    const viaPasskey = await completeSignIn(ctx, { userId: user.userId, method: "passkey" });
    expect(viaPasskey.status).toBe("complete");
    expect(tokenFrom(resHeaders)).toMatch(/^sess_/);
  });

  it("cancels the challenge after 5 wrong codes; then even the right code is refused", async () => {
    const at = clock();
    const user = await signUp(db());
    const { secret } = await enrol(user.token, at(0));
    const { challenge } = await passwordStep(user.email, at(MINUTE));
    const reasons: string[] = [];
    for (let i = 0; i < 5; i++) {
      reasons.push((await errorOf(secondStep(challenge, at(MINUTE)).caller.signIn.secondFactor({ strategy: "totp", code: "000000" }))).reason!);
    }
    expect(reasons).toEqual(["INVALID_CODE", "INVALID_CODE", "INVALID_CODE", "INVALID_CODE", "SIGN_IN_CHALLENGE_EXPIRED"]);
    const right = await errorOf(secondStep(challenge, at(MINUTE)).caller.signIn.secondFactor({ strategy: "totp", code: codeAt(secret, at(MINUTE)) }));
    expect([right.code, right.reason]).toEqual(["UNAUTHORIZED", "SIGN_IN_CHALLENGE_EXPIRED"]);
    expect(await db().db.select().from(sessions).where(and(eq(sessions.userId, user.userId), gt(sessions.createdAt, at(30 * SECOND)())))).toEqual([]);
  });

  it("holds the 5-attempt cap under 50 parallel wrong guesses", async () => {
    const at = clock();
    const user = await signUp(db());
    await enrol(user.token, at(0));
    const { challenge } = await passwordStep(user.email, at(MINUTE));
    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        secondStep(challenge, at(MINUTE)).caller.signIn.secondFactor({ strategy: "totp", code: String(100000 + i) }),
      ),
    );
    expect(outcomes.every((o) => o.status === "rejected")).toBe(true);
    const [row] = await db().db.select().from(signInChallenges).where(eq(signInChallenges.userId, user.userId));
    expect(row!.attempts).toBe(5);
    const checked = (await eventsOf(user.userId, "session.second_factor")).filter((e) => e.targetId === row!.id);
    expect(checked).toHaveLength(5);
  });

  it("gives exactly one session for two concurrent right codes", async () => {
    const at = clock();
    const user = await signUp(db());
    const { secret, backupCodes: codes } = await enrol(user.token, at(0));
    const { challenge } = await passwordStep(user.email, at(MINUTE));
    const results = await Promise.allSettled([
      secondStep(challenge, at(MINUTE)).caller.signIn.secondFactor({ strategy: "totp", code: codeAt(secret, at(MINUTE)) }),
      secondStep(challenge, at(MINUTE)).caller.signIn.secondFactor({ strategy: "backup_code", code: codes[0]! }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const created = await db().db.select().from(sessions).where(and(eq(sessions.userId, user.userId), gt(sessions.createdAt, at(30 * SECOND)())));
    expect(created).toHaveLength(1);
  });

  it("refuses an expired challenge and a missing one", async () => {
    const at = clock();
    const user = await signUp(db());
    const { secret } = await enrol(user.token, at(0));
    const { challenge } = await passwordStep(user.email, at(MINUTE));
    const late = await errorOf(secondStep(challenge, at(11 * MINUTE + SECOND)).caller.signIn.secondFactor({ strategy: "totp", code: codeAt(secret, at(11 * MINUTE + SECOND)) }));
    expect(late.reason).toBe("SIGN_IN_CHALLENGE_EXPIRED");
    expect(await secondStep(challenge, at(11 * MINUTE + SECOND)).caller.signIn.challenge()).toBeNull();
    const none = await errorOf(secondStep(null, at(MINUTE)).caller.signIn.secondFactor({ strategy: "totp", code: "123456" }));
    expect([none.code, none.reason]).toEqual(["UNAUTHORIZED", "SIGN_IN_CHALLENGE_EXPIRED"]);
  });

  it("refuses bad input naming the field, writing nothing", async () => {
    const at = clock();
    const user = await signUp(db());
    await enrol(user.token, at(0));
    const { challenge } = await passwordStep(user.email, at(MINUTE));
    const api = secondStep(challenge, at(MINUTE)).caller;
    const empty = await errorOf(api.signIn.secondFactor({ strategy: "totp", code: "" }));
    expect([empty.code, empty.message]).toEqual(["BAD_REQUEST", expect.stringContaining("code")]);
    const strategy = await errorOf(api.signIn.secondFactor({ strategy: "sms" as "totp", code: "123456" }));
    expect([strategy.code, strategy.message]).toEqual(["BAD_REQUEST", expect.stringContaining("strategy")]);
    const [row] = await db().db.select().from(signInChallenges).where(eq(signInChallenges.userId, user.userId));
    expect(row!.attempts).toBe(0);
  });

  it("takes each backup code once; regenerating kills the old set", async () => {
    const at = clock();
    const user = await signUp(db());
    const { backupCodes: codes } = await enrol(user.token, at(0));
    const first = await passwordStep(user.email, at(MINUTE));
    const used = await secondStep(first.challenge, at(MINUTE)).caller.signIn.secondFactor({ strategy: "backup_code", code: codes[0]!.toUpperCase() });
    expect(used.status).toBe("complete");
    const second = await passwordStep(user.email, at(2 * MINUTE));
    const reused = await errorOf(secondStep(second.challenge, at(2 * MINUTE)).caller.signIn.secondFactor({ strategy: "backup_code", code: codes[0]! }));
    expect(reused.reason).toBe("INVALID_CODE");
    expect((await callerFor(db(), { token: user.token, now: at(2 * MINUTE) }).caller.mfa.status()).backupCodesRemaining).toBe(9);

    const { mailer, sent } = createMemoryMailer();
    const fresh = await callerFor(db(), { token: user.token, now: at(3 * MINUTE), mailer }).caller.mfa.backupCodes.regenerate();
    expect(fresh.backupCodes).toHaveLength(10);
    expect(sent.map((m) => m.kind === "security-notice" && m.values.event)).toEqual(["backup_codes_generated"]);
    const old = await errorOf(secondStep(second.challenge, at(3 * MINUTE)).caller.signIn.secondFactor({ strategy: "backup_code", code: codes[1]! }));
    expect(old.reason).toBe("INVALID_CODE");
    const works = await secondStep(second.challenge, at(3 * MINUTE)).caller.signIn.secondFactor({ strategy: "backup_code", code: fresh.backupCodes[1]! });
    expect(works.status).toBe("complete");
  });

  it("refuses to regenerate backup codes without another factor", async () => {
    const user = await signUp(db());
    const error = await errorOf(callerFor(db(), { token: user.token }).caller.mfa.backupCodes.regenerate());
    expect(error.reason).toBe("SECOND_FACTOR_UNAVAILABLE");
  });

  it("counts wrong second-factor codes toward the account lockout", async () => {
    const at = clock();
    const user = await signUp(db());
    const { secret } = await enrol(user.token, at(0));
    for (let round = 0; round < 2; round++) {
      const { challenge } = await passwordStep(user.email, at(MINUTE));
      for (let i = 0; i < 5; i++) await errorOf(secondStep(challenge, at(MINUTE)).caller.signIn.secondFactor({ strategy: "totp", code: "000000" }));
    }
    // Ten wrong codes: the account is locked, so even the right password and code get nowhere.
    const locked = await errorOf(callerFor(db(), { now: at(2 * MINUTE) }).caller.auth.signIn({ email: user.email, password: PASSWORD }));
    expect(locked.reason).toBe("INVALID_CREDENTIALS");
    expect(secret).toHaveLength(20);
  });

  it("is still asked for after a password reset", async () => {
    const at = clock();
    const user = await signUp(db());
    await enrol(user.token, at(0));
    const { mailer, sent } = createMemoryMailer();
    await callerFor(db(), { mailer }).caller.passwordReset.request({ email: user.email });
    const mail = sent.find((m) => m.kind === "password-reset")!;
    const token = new URL(mail.kind === "password-reset" ? mail.values.link : "http://x").searchParams.get("token")!;
    const reset = callerFor(db(), { now: at(MINUTE) });
    await reset.caller.passwordReset.confirm({ token, password: "a brand new passphrase" });
    expect(tokenFrom(reset.resHeaders)).toBeNull();
    const signIn = await callerFor(db(), { now: at(2 * MINUTE) }).caller.auth.signIn({ email: user.email, password: "a brand new passphrase" });
    expect(signIn.status).toBe("needs_second_factor");
  });
});

describe("MFA policies", () => {
  it("an organization requiring MFA refuses a member without a factor with MFA_REQUIRED, and lets them in after enrolling", async () => {
    const at = clock();
    const { admin, member, org } = await createOrgWithMember(db());
    const asAdmin = callerFor(db(), { token: admin.token, orgSlug: org.slug, now: at(0) }).caller;
    const noFactor = await errorOf(asAdmin.mfa.organizationPolicy.set({ requireMfa: true }));
    expect([noFactor.code, noFactor.reason]).toEqual(["FORBIDDEN", "MFA_REQUIRED"]);
    await enrol(admin.token, at(0));
    await callerFor(db(), { token: admin.token, orgSlug: org.slug, now: at(SECOND) }).caller.mfa.organizationPolicy.set({ requireMfa: true });
    expect((await eventsOf(admin.userId, "organization.mfa_policy.updated"))[0]!.details).toEqual({ requireMfa: true });

    const asMember = () => callerFor(db(), { token: member.token, orgSlug: org.slug, now: at(MINUTE) }).caller;
    const refused = await errorOf(asMember().project.list());
    expect([refused.code, refused.reason]).toEqual(["FORBIDDEN", "MFA_REQUIRED"]);
    const setPolicy = await errorOf(asMember().mfa.organizationPolicy.get());
    expect(setPolicy.reason).toBe("MFA_REQUIRED");
    // Outside the organization, and the setup itself, still work.
    expect((await callerFor(db(), { token: member.token }).caller.user.me()).id).toBe(member.userId);
    expect((await asMember().mfa.status()).setupRequired).toBe(true);
    await enrol(member.token, at(MINUTE));
    expect(await asMember().project.list()).toBeDefined();

    const plainMember = await errorOf(asMember().mfa.organizationPolicy.set({ requireMfa: false }));
    expect(plainMember.reason).toBe("PERMISSION_DENIED");
  });

  it("an instance admin without a second factor can't turn the instance's requireMfa on, and can once they have one", async () => {
    const at = clock();
    const admin = await signUp(db(), uniqueEmail("instance-admin-mfa"));
    await db().query(`update users set is_instance_admin = true where id = '${admin.userId}'`);
    const api = () => callerFor(db(), { token: admin.token, now: at(0) }).caller;
    try {
      const refused = await errorOf(api().instanceSettings.update({ requireMfa: true }));
      expect([refused.code, refused.reason, refused.field]).toEqual(["FORBIDDEN", "MFA_REQUIRED", "requireMfa"]);
      expect((await api().instanceSettings.get()).requireMfa).toBe(false);
      await enrol(admin.token, at(0));
      expect((await api().instanceSettings.update({ requireMfa: true })).settings.requireMfa).toBe(true);
      expect((await api().instanceSettings.get()).requireMfa).toBe(true);
    } finally {
      await updateInstanceSettings(db().db, { requireMfa: false });
    }
  });

  it("the instance setting requireMfa refuses everything but the setup until a factor exists", async () => {
    const at = clock();
    const user = await signUp(db(), uniqueEmail("instance-mfa"));
    await updateInstanceSettings(db().db, { requireMfa: true });
    try {
      const api = () => callerFor(db(), { token: user.token, now: at(0) }).caller;
      const refused = await errorOf(api().user.me());
      expect([refused.code, refused.reason]).toEqual(["FORBIDDEN", "MFA_REQUIRED"]);
      expect((await api().mfa.status()).instanceRequired).toBe(true);
      await enrol(user.token, at(0));
      expect((await api().user.me()).id).toBe(user.userId);
    } finally {
      await updateInstanceSettings(db().db, { requireMfa: false });
    }
  });
});
