import { describe, expect, it, vi } from "vitest";
import { useTestDb } from "@latchkey/db/testing";
import { createMemoryMailer } from "../mail/index.ts";
import { createMemorySmsSender, type SmsSender } from "../sms/index.ts";
import { createSession, defaultSessionPolicy } from "@latchkey/auth";
import { callerFor, countRows, errorOf, PASSWORD, signUp, tokenFrom, uniqueEmail } from "../../test/helpers.ts";
import { checkSmsSecondFactorCode, MAX_PHONE_NUMBERS, sendSmsSecondFactorCode } from "./phone.ts";

const db = useTestDb();
const MINUTE = 60_000;

let numberCounter = 0;
/** A fresh E.164 number, written with spaces as people type them. */
function freshNumber(): string {
  numberCounter += 1;
  const digits = String(Math.floor(1e6 + Math.random() * 8e6) + numberCounter).slice(0, 7);
  return `+48 60 ${digits}`;
}
const e164 = (typed: string) => typed.replace(/\s/g, "");

async function user(label = "phone") {
  const account = await signUp(db(), uniqueEmail(label));
  const { mailer, sent: mails } = createMemoryMailer();
  const { sender, sent: texts } = createMemorySmsSender();
  const as = (options: { now?: () => Date; ip?: string; sms?: SmsSender | null } = {}) =>
    callerFor(db(), { token: account.token, mailer, sms: sender, ...options });
  const codeFor = (phone: string) => {
    const text = texts.findLast((t) => t.to === phone);
    if (!text) throw new Error(`no text to ${phone}`);
    return /^(\d{6}) /.exec(text.body)![1]!;
  };
  return { ...account, mails, texts, as: (o?: Parameters<typeof as>[0]) => as(o).caller, ctxOf: (o?: Parameters<typeof as>[0]) => as(o).ctx, codeFor, sender };
}
type User = Awaited<ReturnType<typeof user>>;

async function addVerified(u: User, typed = freshNumber()) {
  const added = await u.as().phone.add({ phone: typed });
  await u.as().phone.verify({ phoneNumberId: added.id, code: u.codeFor(e164(typed)) });
  return added;
}

async function auditActions(userId: string) {
  const rows = await db().query<{ action: string; outcome: string }>(
    `select action, outcome from audit_events where actor_user_id = '${userId}' and (action like 'user.phone%' or action like 'user.sms%') order by occurred_at, id`,
  );
  return rows.map((r) => `${r.action}:${r.outcome}`);
}

/** A second session of the same account, as from another device (made directly: sign-in rules are not tested here). */
async function otherSession(userId: string): Promise<string> {
  const { token } = await createSession(db().db, { userId, ip: null, userAgent: "other device", now: new Date(), policy: defaultSessionPolicy });
  return token;
}

const wrong = (code: string) => (code === "000000" ? "111111" : "000000");

describe("adding a phone number", () => {
  it("stores it unverified, texts a code, and the code verifies it", async () => {
    const u = await user();
    const typed = freshNumber();
    const added = await u.as().phone.add({ phone: typed });
    expect(added).toMatchObject({ phone: e164(typed), resendInSeconds: 60 });
    expect(u.texts.map((t) => t.to)).toEqual([e164(typed)]);
    expect(u.texts[0]!.body).toMatch(/^\d{6} is your Latchkey code to confirm this phone number/);
    expect(u.texts[0]!.body).toContain("@localhost #");
    expect((await u.as().phone.list()).map((p) => [p.phone, p.verifiedAt])).toEqual([[e164(typed), null]]);

    const verified = await u.as().phone.verify({ phoneNumberId: added.id, code: u.codeFor(e164(typed)) });
    expect(verified.verifiedAt).toBeInstanceOf(Date);
    expect(verified.usedForMfa).toBe(false);
    expect(await auditActions(u.userId)).toEqual(["user.phone_added:success", "user.phone_code_requested:success", "user.phone_verified:success"]);
    // Adding it again is refused plainly: it is the caller's own.
    const again = await errorOf(u.as().phone.add({ phone: typed }));
    expect([again.code, again.reason, again.field]).toEqual(["BAD_REQUEST", "PHONE_ALREADY_YOURS", "phone"]);
  });

  it("verifies it once when the right code is sent three times at once; the others are told it is verified", async () => {
    const u = await user();
    const typed = freshNumber();
    const added = await u.as().phone.add({ phone: typed });
    const code = u.codeFor(e164(typed));
    const results = await Promise.allSettled([1, 2, 3].map(() => u.as().phone.verify({ phoneNumberId: added.id, code })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const reasons = results.flatMap((r) => (r.status === "rejected" ? [(r.reason as { reason?: string }).reason] : []));
    expect(reasons).toEqual(["PHONE_ALREADY_YOURS", "PHONE_ALREADY_YOURS"]);
    expect((await auditActions(u.userId)).filter((a) => a === "user.phone_verified:success")).toHaveLength(1);
  });

  it("rejects numbers that are not E.164 with a 400 on phone, and stores nothing", async () => {
    const u = await user();
    for (const phone of ["601234567", "+0 601 234 567", "+48 601 ABC 567", "+4860", "+48 601 234 567 890 123", "x".repeat(100)]) {
      const error = await errorOf(u.as().phone.add({ phone }));
      expect([error.code, error.reason], phone).toEqual(["BAD_REQUEST", "INVALID_INPUT"]);
      expect(error.message).toContain("phone: Enter the number in international format");
    }
    expect(await countRows(db(), `phone_numbers where user_id = '${u.userId}'`)).toBe(0);
    expect(u.texts).toEqual([]);
  });

  it("answers the same for a number verified on another account, but texts it nothing and never verifies it", async () => {
    const owner = await user("owner");
    const typed = freshNumber();
    await addVerified(owner, typed);
    const u = await user();
    const fresh = freshNumber();
    const forTaken = await u.as().phone.add({ phone: typed });
    const forFresh = await u.as().phone.add({ phone: fresh });
    expect(Object.keys(forTaken).sort()).toEqual(Object.keys(forFresh).sort());
    expect(u.texts.map((t) => t.to)).toEqual([e164(fresh)]);
    const guess = await errorOf(u.as().phone.verify({ phoneNumberId: forTaken.id, code: "123456" }));
    expect([guess.code, guess.reason, guess.field]).toEqual(["BAD_REQUEST", "INVALID_CODE", "code"]);
    expect(await countRows(db(), `phone_numbers where phone = '${e164(typed)}' and verified_at is not null`)).toBe(1);
    expect(await auditActions(u.userId)).toContain("user.phone_code_requested:failure");
  });

  it("refuses a right code when the number was verified by someone else meanwhile", async () => {
    const a = await user("a");
    const b = await user("b");
    const typed = freshNumber();
    const pendingA = await a.as().phone.add({ phone: typed });
    const codeA = a.codeFor(e164(typed));
    await addVerified(b, typed);
    const error = await errorOf(a.as().phone.verify({ phoneNumberId: pendingA.id, code: codeA }));
    expect(error.reason).toBe("INVALID_CODE");
    expect(await countRows(db(), `phone_numbers where phone = '${e164(typed)}' and verified_at is not null`)).toBe(1);
  });

  it(`allows at most ${MAX_PHONE_NUMBERS} numbers`, async () => {
    const u = await user();
    for (let i = 0; i < MAX_PHONE_NUMBERS; i++) {
      await db().query(`insert into phone_numbers (id, user_id, phone) values ('phone_cap${i}_${u.userId.slice(5, 12)}', '${u.userId}', '+1555000${1000 + i}${numberCounter++}')`);
    }
    const error = await errorOf(u.as().phone.add({ phone: freshNumber() }));
    expect([error.code, error.reason, error.field]).toEqual(["BAD_REQUEST", "PHONE_LIMIT_REACHED", "phone"]);
  });

  it("holds the code limits of email codes: 5 attempts, 10 minutes, a one-minute resend cooldown", async () => {
    const u = await user();
    const typed = freshNumber();
    const added = await u.as().phone.add({ phone: typed });
    const code = u.codeFor(e164(typed));
    const soon = await errorOf(u.as().phone.resendCode({ phoneNumberId: added.id }));
    expect([soon.code, soon.reason]).toEqual(["TOO_MANY_REQUESTS", "RESEND_COOLDOWN"]);
    for (let i = 0; i < 4; i++) expect((await errorOf(u.as().phone.verify({ phoneNumberId: added.id, code: wrong(code) }))).reason).toBe("INVALID_CODE");
    expect((await errorOf(u.as().phone.verify({ phoneNumberId: added.id, code: wrong(code) }))).reason).toBe("TOO_MANY_ATTEMPTS");
    expect((await errorOf(u.as().phone.verify({ phoneNumberId: added.id, code }))).reason).toBe("TOO_MANY_ATTEMPTS");

    const later = () => new Date(Date.now() + 2 * MINUTE);
    await u.as({ now: later }).phone.resendCode({ phoneNumberId: added.id });
    const second = u.codeFor(e164(typed));
    const muchLater = () => new Date(Date.now() + 13 * MINUTE);
    const expired = await errorOf(u.as({ now: muchLater }).phone.verify({ phoneNumberId: added.id, code: second }));
    expect(expired.reason).toBe("EXPIRED_CODE");
    expect((await u.as().phone.list())[0]!.verifiedAt).toBeNull();
  });

  it("holds the 5-attempt cap under 15 parallel wrong guesses", async () => {
    const u = await user();
    const typed = freshNumber();
    const added = await u.as().phone.add({ phone: typed });
    const code = u.codeFor(e164(typed));
    const guesses = await Promise.allSettled(Array.from({ length: 15 }, () => u.as().phone.verify({ phoneNumberId: added.id, code: wrong(code) })));
    expect(guesses.every((g) => g.status === "rejected")).toBe(true);
    const [row] = await db().query<{ attempts: number }>(`select attempts from verifications where target = '${added.id}'`);
    expect(row!.attempts).toBe(5);
    expect((await errorOf(u.as().phone.verify({ phoneNumberId: added.id, code }))).reason).toBe("TOO_MANY_ATTEMPTS");
  });

  it("refuses everything when the instance has no SMS configured", async () => {
    const u = await user();
    const error = await errorOf(u.as({ sms: null }).phone.add({ phone: freshNumber() }));
    expect([error.code, error.reason]).toEqual(["SERVICE_UNAVAILABLE", "SMS_NOT_DELIVERED"]);
    expect(await countRows(db(), `phone_numbers where user_id = '${u.userId}'`)).toBe(0);
  });

  it("logs a carrier failure without the number or the code, and answers as usual", async () => {
    const u = await user();
    const failing: SmsSender = { send: () => Promise.reject(new Error("SMS API answered 500")) };
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      const typed = freshNumber();
      await u.as({ sms: failing }).phone.add({ phone: typed });
      await vi.waitFor(() => expect(logged).toHaveBeenCalled());
      const line = String(logged.mock.calls[0]![0]);
      expect(line).toBe("[sms] phone verification code not sent: SMS API answered 500");
      expect(line).not.toContain(e164(typed));
    } finally {
      logged.mockRestore();
    }
  });
});

describe("phone numbers for sign-in codes", () => {
  it("needs a verified number and reverification; one number at a time; the user is emailed", async () => {
    const u = await user();
    const pending = await u.as().phone.add({ phone: freshNumber() });
    const unverified = await errorOf(u.as().phone.setUsedForMfa({ phoneNumberId: pending.id, usedForMfa: true }));
    expect([unverified.code, unverified.reason]).toEqual(["BAD_REQUEST", "PHONE_NOT_VERIFIED"]);
    const first = await addVerified(u);
    const second = await addVerified(u);
    await u.as().phone.setUsedForMfa({ phoneNumberId: first.id, usedForMfa: true });
    await u.as().phone.setUsedForMfa({ phoneNumberId: second.id, usedForMfa: true });
    const listed = await u.as().phone.list();
    expect(listed.filter((p) => p.usedForMfa).map((p) => p.id)).toEqual([second.id]);
    expect(u.mails.map((m) => m.values)).toEqual([{ event: "phone_added" }, { event: "phone_added" }]);

    await db().query(`update sessions set last_reverified_at = now() - interval '2 hours' where user_id = '${u.userId}'`);
    const stale = await errorOf(u.as().phone.setUsedForMfa({ phoneNumberId: second.id, usedForMfa: false }));
    expect(stale.reason).toBe("REVERIFICATION_REQUIRED");
    const staleRemove = await errorOf(u.as().phone.remove({ phoneNumberId: second.id }));
    expect(staleRemove.reason).toBe("REVERIFICATION_REQUIRED");
    await db().query(`update sessions set last_reverified_at = now() where user_id = '${u.userId}'`);
    const elsewhere = await otherSession(u.userId);
    await u.as().phone.remove({ phoneNumberId: second.id });
    expect(await callerFor(db(), { token: elsewhere }).caller.auth.session()).toBeNull();
    expect((await u.as().auth.session())?.userId).toBe(u.userId);
    expect(u.mails.at(-1)!.values).toEqual({ event: "phone_removed" });
    expect(await auditActions(u.userId)).toEqual(expect.arrayContaining(["user.phone_mfa_enabled:success", "user.phone_removed:success"]));
  });

  it("someone else's number is NOT_FOUND everywhere, and nothing changes", async () => {
    const owner = await user("owner");
    const theirs = await addVerified(owner);
    const u = await user();
    // Each call made only when awaited: a rejection nobody awaits yet would fail the run.
    for (const call of [
      () => u.as().phone.verify({ phoneNumberId: theirs.id, code: "123456" }),
      () => u.as().phone.resendCode({ phoneNumberId: theirs.id }),
      () => u.as().phone.setUsedForMfa({ phoneNumberId: theirs.id, usedForMfa: true }),
      () => u.as().phone.remove({ phoneNumberId: theirs.id }),
    ]) {
      expect((await errorOf(call())).code).toBe("NOT_FOUND");
    }
    expect((await owner.as().phone.list()).map((p) => [p.id, p.usedForMfa])).toEqual([[theirs.id, false]]);
    const anonymous = callerFor(db()).caller;
    expect((await errorOf(anonymous.phone.list())).code).toBe("UNAUTHORIZED");
    expect((await errorOf(anonymous.phone.add({ phone: freshNumber() }))).code).toBe("UNAUTHORIZED");
  });

  it("texts a sign-in code to the MFA number and accepts it once", async () => {
    const u = await user();
    const typed = freshNumber();
    const phone = await addVerified(u, typed);
    const ctx = u.ctxOf();
    const none = await errorOf(sendSmsSecondFactorCode(ctx, u.userId));
    expect(none.code).toBe("NOT_FOUND");
    await u.as().phone.setUsedForMfa({ phoneNumberId: phone.id, usedForMfa: true });
    const sent = await sendSmsSecondFactorCode(ctx, u.userId);
    expect(sent.phone).toMatch(/^\+48•+\d{3}$/);
    const text = u.texts.at(-1)!;
    expect(text.to).toBe(e164(typed));
    expect(text.body).toMatch(/sign-in code/);
    const code = /^(\d{6})/.exec(text.body)![1]!;
    expect(await checkSmsSecondFactorCode(ctx, u.userId, wrong(code))).toBe(false);
    expect(await checkSmsSecondFactorCode(ctx, u.userId, "not a code")).toBe(false);
    expect(await checkSmsSecondFactorCode(ctx, u.userId, code)).toBe(true);
    expect(await checkSmsSecondFactorCode(ctx, u.userId, code)).toBe(false);
    // Another user's code check never passes with this code.
    const other = await user("other");
    expect(await checkSmsSecondFactorCode(ctx, other.userId, code)).toBe(false);
    // The cooldown holds for sign-in codes too.
    expect((await errorOf(sendSmsSecondFactorCode(ctx, u.userId))).reason).toBe("RESEND_COOLDOWN");
  });

  it("a sign-in code dies when the number stops receiving them", async () => {
    const u = await user();
    const phone = await addVerified(u);
    await u.as().phone.setUsedForMfa({ phoneNumberId: phone.id, usedForMfa: true });
    const ctx = u.ctxOf();
    await sendSmsSecondFactorCode(ctx, u.userId);
    const code = /^(\d{6})/.exec(u.texts.at(-1)!.body)![1]!;
    await u.as().phone.setUsedForMfa({ phoneNumberId: phone.id, usedForMfa: false });
    expect(await checkSmsSecondFactorCode(ctx, u.userId, code)).toBe(false);
  });

  it("a carrier refusal of a sign-in code is a 503, logged without the code", async () => {
    const u = await user();
    const phone = await addVerified(u);
    await u.as().phone.setUsedForMfa({ phoneNumberId: phone.id, usedForMfa: true });
    const failing: SmsSender = { send: () => Promise.reject(new Error("SMS API answered 503")) };
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      const error = await errorOf(sendSmsSecondFactorCode(u.ctxOf({ sms: failing }), u.userId));
      expect([error.code, error.reason]).toEqual(["SERVICE_UNAVAILABLE", "SMS_NOT_DELIVERED"]);
      expect(logged.mock.calls.map((c) => String(c[0]))).toEqual(["[sms] sign-in code not sent: SMS API answered 503"]);
    } finally {
      logged.mockRestore();
    }
  });
});

describe("an SMS code finishing the second step of a password sign-in", () => {
  function challengeFrom(resHeaders: Headers): string | null {
    for (const cookie of resHeaders.getSetCookie()) {
      const match = /^latchkey_sign_in=([^;]*)/.exec(cookie);
      if (match && match[1]) return decodeURIComponent(match[1]);
    }
    return null;
  }

  it("texts a code to the MFA phone of the pending user; a wrong code is refused, the right one gives the session once", async () => {
    const u = await user();
    const phone = await addVerified(u);
    await u.as().phone.setUsedForMfa({ phoneNumberId: phone.id, usedForMfa: true });
    const first = callerFor(db(), { sms: u.sender });
    const result = await first.caller.auth.signIn({ email: u.email, password: PASSWORD });
    expect(result).toMatchObject({ status: "needs_second_factor", strategies: ["phone_code"] });
    expect(tokenFrom(first.resHeaders)).toBeNull();
    const challenge = challengeFrom(first.resHeaders);
    const step = () => callerFor(db(), { signInChallengeToken: challenge, sms: u.sender });

    const sent = await step().caller.signIn.sendSmsCode();
    expect(sent.phone).toMatch(/•/);
    const code = /^(\d{6})/.exec(u.texts.at(-1)!.body)![1]!;
    expect((await errorOf(step().caller.signIn.secondFactor({ strategy: "phone_code", code: wrong(code) }))).reason).toBe("INVALID_CODE");
    const done = step();
    expect((await done.caller.signIn.secondFactor({ strategy: "phone_code", code })).status).toBe("complete");
    expect((await callerFor(db(), { token: tokenFrom(done.resHeaders) }).caller.user.me()).id).toBe(u.userId);
    // The challenge and the code are spent.
    expect((await errorOf(step().caller.signIn.secondFactor({ strategy: "phone_code", code }))).reason).toBe("SIGN_IN_CHALLENGE_EXPIRED");
  });

  it("sends nothing without a pending sign-in", async () => {
    const u = await user();
    expect((await errorOf(callerFor(db(), { sms: u.sender }).caller.signIn.sendSmsCode())).reason).toBe("SIGN_IN_CHALLENGE_EXPIRED");
    expect(u.texts).toHaveLength(0);
  });
});
