import { describe, expect, it } from "vitest";
import { useTestDb } from "@latchkey/db/testing";
import { createMemoryMailer } from "../mail/index.ts";
import { callerFor, countRows, errorOf, PASSWORD, signUp, uniqueEmail } from "../../test/helpers.ts";
import { MAX_EMAIL_ADDRESSES } from "./email-address.ts";

const db = useTestDb();
const MINUTE = 60_000;

function capture() {
  const { mailer, sent } = createMemoryMailer();
  const codeFor = (to: string) => {
    const mail = sent.findLast((m) => m.to === to);
    if (mail?.kind !== "verification-code") throw new Error(`no code mailed to ${to}`);
    return mail.values.code;
  };
  return { sent, mailer, codeFor };
}

/** A signed-up user with helpers that call as them (optionally at another time). */
async function user(label = "owner") {
  const account = await signUp(db(), uniqueEmail(label));
  const mail = capture();
  const as = (options: { now?: () => Date; ip?: string } = {}) => callerFor(db(), { token: account.token, mailer: mail.mailer, ...options }).caller;
  return { ...account, ...mail, as };
}

/** A user whose sign-up address is still unconfirmed, as when the instance lets unverified users in (ADR 005). */
async function userWithUnverifiedSignUpAddress() {
  const u = await user();
  await db().query(`update email_addresses set verified_at = null where user_id = '${u.userId}'`);
  return u;
}

async function rowsFor(userId: string) {
  return db().query<{ id: string; email: string; is_primary: boolean; verified_at: Date | null }>(
    `select id, email, is_primary, verified_at from email_addresses where user_id = '${userId}' order by created_at, email`,
  );
}

/** Adds and confirms a second address; returns its id. */
async function addVerified(u: Awaited<ReturnType<typeof user>>, email = uniqueEmail("second")) {
  await u.as().emailAddress.add({ email });
  const added = await u.as().emailAddress.verify({ email, code: u.codeFor(email) });
  return { id: added.id, email };
}

async function auditActions(userId: string) {
  const rows = await db().query<{ action: string; outcome: string }>(
    `select action, outcome from audit_events where actor_user_id = '${userId}' and action like 'user.%' order by occurred_at, id`,
  );
  return rows.map((r) => `${r.action}:${r.outcome}`);
}

/** A wrong code that is surely not the mailed one. */
const wrong = (code: string) => (code === "000000" ? "111111" : "000000");

describe("adding an email address", () => {
  it("mails a code to the new address only, and stores nothing until the code comes back", async () => {
    const u = await user();
    const email = uniqueEmail("new");
    const answer = await u.as().emailAddress.add({ email: email.toUpperCase() });
    expect(answer.email).toBe(email);
    expect(u.sent.map((m) => [m.kind, m.to])).toEqual([["verification-code", email]]);
    expect(u.sent[0]!.subject).not.toContain(u.codeFor(email));
    expect((await rowsFor(u.userId)).map((r) => r.email)).toEqual([u.email]);
    const listed = await u.as().emailAddress.list();
    expect(listed.addresses.map((a) => a.email)).toEqual([u.email]);
    expect(listed.pending.map((p) => p.email)).toEqual([email]);

    const added = await u.as().emailAddress.verify({ email, code: u.codeFor(email) });
    expect(added).toMatchObject({ email, isPrimary: false });
    expect(added.verifiedAt).toBeInstanceOf(Date);
    const after = await u.as().emailAddress.list();
    expect(after.addresses.map((a) => [a.email, a.isPrimary])).toEqual([
      [u.email, true],
      [email, false],
    ]);
    expect(after.pending).toEqual([]);
    expect(await auditActions(u.userId)).toEqual(expect.arrayContaining(["user.email_add_requested:success", "user.email_added:success"]));
  });

  it("answers the same for an address another account has, sends it nothing, and never lets the caller have it", async () => {
    const u = await user();
    const other = await signUp(db(), uniqueEmail("other"));
    const fresh = uniqueEmail("fresh");
    const forTaken = await u.as().emailAddress.add({ email: other.email });
    const forFresh = await u.as().emailAddress.add({ email: fresh });
    expect(Object.keys(forTaken)).toEqual(Object.keys(forFresh));
    expect(forTaken.email).toBe(other.email);
    expect(u.sent.map((m) => m.to)).toEqual([fresh]);
    // The page shows both as waiting for a code, alike.
    expect((await u.as().emailAddress.list()).pending.map((p) => p.email)).toEqual([other.email, fresh]);
    // No code can be right for it: every guess reads like a wrong code, and the owner keeps the address.
    const guess = await errorOf(u.as().emailAddress.verify({ email: other.email, code: "123456" }));
    expect([guess.code, guess.reason, guess.field]).toEqual(["BAD_REQUEST", "INVALID_CODE", "code"]);
    expect((await rowsFor(other.userId)).map((r) => r.email)).toEqual([other.email]);
    expect((await rowsFor(u.userId)).map((r) => r.email)).toEqual([u.email]);
  });

  it("tells the caller plainly when the address is already theirs, and sends nothing", async () => {
    const u = await user();
    const error = await errorOf(u.as().emailAddress.add({ email: u.email }));
    expect([error.code, error.reason, error.field]).toEqual(["BAD_REQUEST", "EMAIL_ALREADY_YOURS", "email"]);
    expect(u.sent).toEqual([]);
  });

  it("answers a right code like a wrong one when the address was taken by another account meanwhile", async () => {
    const u = await user();
    const email = uniqueEmail("contested");
    await u.as().emailAddress.add({ email });
    const code = u.codeFor(email);
    // Someone signs up with it before the code comes back.
    const squatter = await signUp(db(), email);
    const error = await errorOf(u.as().emailAddress.verify({ email, code }));
    expect([error.code, error.reason, error.field]).toEqual(["BAD_REQUEST", "INVALID_CODE", "code"]);
    expect((await rowsFor(u.userId)).map((r) => r.email)).toEqual([u.email]);
    expect((await rowsFor(squatter.userId)).map((r) => r.email)).toEqual([email]);
    expect(await auditActions(u.userId)).toContain("user.email_add_failed:failure");
  });

  it("refuses a wrong code on the code field, and the right one still works afterwards", async () => {
    const u = await user();
    const email = uniqueEmail("typo");
    await u.as().emailAddress.add({ email });
    const error = await errorOf(u.as().emailAddress.verify({ email, code: wrong(u.codeFor(email)) }));
    expect([error.code, error.reason, error.field]).toEqual(["BAD_REQUEST", "INVALID_CODE", "code"]);
    expect(await rowsFor(u.userId)).toHaveLength(1);
    expect(await auditActions(u.userId)).toContain("user.email_add_failed:failure");
    await u.as().emailAddress.verify({ email, code: u.codeFor(email) });
    expect(await rowsFor(u.userId)).toHaveLength(2);
  });

  it("lets a code expire after 10 minutes", async () => {
    const u = await user();
    const email = uniqueEmail("late");
    const t0 = Date.now();
    await u.as({ now: () => new Date(t0) }).emailAddress.add({ email });
    const late = await errorOf(u.as({ now: () => new Date(t0 + 10 * MINUTE + 1000) }).emailAddress.verify({ email, code: u.codeFor(email) }));
    expect([late.reason, late.field]).toEqual(["EXPIRED_CODE", "code"]);
    expect((await u.as({ now: () => new Date(t0 + 10 * MINUTE + 1000) }).emailAddress.list()).pending).toEqual([]);
    expect(await rowsFor(u.userId)).toHaveLength(1);
  });

  it("gives up on a code after 5 wrong attempts, even for the right one", async () => {
    const u = await user();
    const email = uniqueEmail("guess");
    await u.as().emailAddress.add({ email });
    const code = u.codeFor(email);
    for (let i = 0; i < 5; i++) await errorOf(u.as().emailAddress.verify({ email, code: wrong(code) }));
    const error = await errorOf(u.as().emailAddress.verify({ email, code }));
    expect([error.reason, error.field]).toEqual(["TOO_MANY_ATTEMPTS", "code"]);
    expect(await rowsFor(u.userId)).toHaveLength(1);
  });

  it("makes an older code stop working when a new one is sent", async () => {
    const u = await user();
    const email = uniqueEmail("resend");
    await u.as().emailAddress.add({ email });
    const first = u.codeFor(email);
    await u.as().emailAddress.add({ email });
    const second = u.codeFor(email);
    if (first !== second) expect((await errorOf(u.as().emailAddress.verify({ email, code: first }))).reason).toBe("INVALID_CODE");
    await u.as().emailAddress.verify({ email, code: second });
  });

  it("stores exactly one row when the right code is sent twice at once", async () => {
    const u = await user();
    const email = uniqueEmail("race");
    await u.as().emailAddress.add({ email });
    const code = u.codeFor(email);
    const results = await Promise.allSettled([
      u.as().emailAddress.verify({ email, code }),
      u.as().emailAddress.verify({ email, code }),
      u.as().emailAddress.verify({ email, code }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    // The others waited for the first to commit and are told the address is theirs, never that the code was wrong.
    const reasons = results.flatMap((r) => (r.status === "rejected" ? [(r.reason as { reason?: string }).reason] : []));
    expect(reasons).toEqual(["EMAIL_ALREADY_YOURS", "EMAIL_ALREADY_YOURS"]);
    expect((await rowsFor(u.userId)).filter((r) => r.email === email)).toHaveLength(1);
  });

  it("keeps a pending addition when another account starts adding the same address", async () => {
    const u = await user();
    const rival = await user("rival");
    const email = uniqueEmail("contested");
    await u.as().emailAddress.add({ email });
    const code = u.codeFor(email);
    await rival.as().emailAddress.add({ email });
    expect((await u.as().emailAddress.list()).pending.map((p) => p.email)).toEqual([email]);
    expect((await rival.as().emailAddress.list()).pending.map((p) => p.email)).toEqual([email]);
    // The first code still works for its account, and the rival's own pending addition is untouched by it.
    await u.as().emailAddress.verify({ email, code });
    expect((await rowsFor(u.userId)).map((r) => r.email)).toContain(email);
    expect(await rowsFor(rival.userId)).toHaveLength(1);
  });

  it("does not let another account spend or use a code meant for someone else's pending address", async () => {
    const u = await user();
    const rival = await user("rival");
    const email = uniqueEmail("pending");
    await u.as().emailAddress.add({ email });
    const code = u.codeFor(email);
    // The rival knows the code (say, it controls the mailbox later) but never asked for this address.
    for (let i = 0; i < 6; i++) {
      expect((await errorOf(rival.as().emailAddress.verify({ email, code }))).reason).toBe("INVALID_CODE");
    }
    expect(await rowsFor(rival.userId)).toHaveLength(1);
    // The owner's attempts were not spent.
    await u.as().emailAddress.verify({ email, code });
    expect((await rowsFor(u.userId)).map((r) => r.email)).toContain(email);
  });

  it(`caps an account at ${MAX_EMAIL_ADDRESSES} addresses`, async () => {
    const u = await user();
    const now = Date.now();
    // Spread over hours so the per-user and per-address limits don't get in the way of this rule.
    for (let i = 1; i < MAX_EMAIL_ADDRESSES; i++) {
      const email = uniqueEmail(`many${i}`);
      const at = { now: () => new Date(now + i * 2 * 60 * MINUTE) };
      await u.as(at).emailAddress.add({ email });
      await u.as(at).emailAddress.verify({ email, code: u.codeFor(email) });
    }
    expect(await rowsFor(u.userId)).toHaveLength(MAX_EMAIL_ADDRESSES);
    const at = { now: () => new Date(now + 100 * 60 * MINUTE) };
    const error = await errorOf(u.as(at).emailAddress.add({ email: uniqueEmail("one-too-many") }));
    expect([error.code, error.reason, error.field]).toEqual(["BAD_REQUEST", "EMAIL_LIMIT_REACHED", "email"]);
  });

  it("limits how many codes one user can have sent (429 with Retry-After)", async () => {
    const u = await user();
    for (let i = 0; i < 10; i++) await u.as().emailAddress.add({ email: uniqueEmail("flood") });
    const error = (await errorOf(u.as().emailAddress.add({ email: uniqueEmail("flood") }))) as { code: string; retryAfterSeconds?: number };
    expect(error.code).toBe("TOO_MANY_REQUESTS");
    expect(error.retryAfterSeconds).toBeGreaterThan(0);
    expect(u.sent).toHaveLength(10);
  });

  it("limits codes sent from one IP address across accounts", async () => {
    const ip = "203.0.113.77";
    let last: { code: string } | undefined;
    for (let account = 0; account < 4 && !last; account++) {
      const u = await user("ip");
      for (let i = 0; i < 10; i++) {
        try {
          await u.as({ ip }).emailAddress.add({ email: uniqueEmail("ip-flood") });
        } catch (error) {
          last = error as { code: string };
          break;
        }
      }
    }
    expect(last?.code).toBe("TOO_MANY_REQUESTS");
  });

  it("limits how many codes one address receives, whoever asks", async () => {
    const email = uniqueEmail("target");
    for (let i = 0; i < 5; i++) await (await user("asker")).as().emailAddress.add({ email });
    expect((await errorOf((await user("asker")).as().emailAddress.add({ email }))).code).toBe("TOO_MANY_REQUESTS");
  });

  it("limits code checks per user", async () => {
    const u = await user();
    const email = uniqueEmail("checks");
    let error: { code: string } | undefined;
    for (let i = 0; i < 21 && !error; i++) {
      try {
        await u.as().emailAddress.verify({ email, code: "123456" });
      } catch (e) {
        if ((e as { code: string }).code === "TOO_MANY_REQUESTS") error = e as { code: string };
      }
    }
    expect(error?.code).toBe("TOO_MANY_REQUESTS");
  });
});

describe("changing the primary address", () => {
  const later = () => new Date(Date.now() + 11 * MINUTE);

  it("needs a strict reverification, then swaps the primary in one go and tells the old address", async () => {
    const u = await user();
    const second = await addVerified(u);
    // Sign-up counted as a check; 11 minutes later it no longer does.
    const refused = await errorOf(u.as({ now: later }).emailAddress.setPrimary({ emailAddressId: second.id }));
    expect([refused.code, refused.reason]).toEqual(["FORBIDDEN", "REVERIFICATION_REQUIRED"]);
    expect((await rowsFor(u.userId)).find((r) => r.is_primary)!.email).toBe(u.email);

    await u.as({ now: later }).auth.reverify({ password: PASSWORD });
    const before = u.sent.length;
    await u.as({ now: later }).emailAddress.setPrimary({ emailAddressId: second.id });
    const rows = await rowsFor(u.userId);
    expect(rows.filter((r) => r.is_primary).map((r) => r.email)).toEqual([second.email]);
    expect(rows.map((r) => r.email).sort()).toEqual([u.email, second.email].sort());
    const notices = u.sent.slice(before);
    expect(notices.map((m) => [m.kind, m.to])).toEqual([["primary-email-changed", u.email]]);
    expect(notices[0]!.text).toContain(second.email);
    expect(notices[0]!.subject).not.toMatch(/\d{6}|https?:/);
    expect((await u.as().user.me()).primaryEmail).toBe(second.email);
    expect(await auditActions(u.userId)).toContain("user.primary_email_changed:success");
  });

  it("keeps exactly one primary when two changes race", async () => {
    const u = await user();
    const a = await addVerified(u);
    const b = await addVerified(u);
    await Promise.allSettled([
      u.as().emailAddress.setPrimary({ emailAddressId: a.id }),
      u.as().emailAddress.setPrimary({ emailAddressId: b.id }),
    ]);
    const primaries = (await rowsFor(u.userId)).filter((r) => r.is_primary);
    expect(primaries).toHaveLength(1);
    expect([a.email, b.email]).toContain(primaries[0]!.email);
  });

  it("does nothing and mails nobody when the address is already primary", async () => {
    const u = await user();
    const [primary] = await rowsFor(u.userId);
    const answer = await u.as().emailAddress.setPrimary({ emailAddressId: primary!.id });
    expect(answer.changed).toBe(false);
    expect(u.sent).toEqual([]);
  });

  it("refuses an unverified address", async () => {
    const u = await userWithUnverifiedSignUpAddress();
    // The sign-up address is not verified yet; make another one primary, then try to go back to it.
    const second = await addVerified(u);
    const [signUpAddress] = (await rowsFor(u.userId)).filter((r) => r.email === u.email);
    await u.as().emailAddress.setPrimary({ emailAddressId: second.id });
    const error = await errorOf(u.as().emailAddress.setPrimary({ emailAddressId: signUpAddress!.id }));
    expect([error.code, error.reason]).toEqual(["CONFLICT", "EMAIL_NOT_VERIFIED"]);
    expect((await rowsFor(u.userId)).filter((r) => r.is_primary).map((r) => r.email)).toEqual([second.email]);
  });

  it("finds nothing with another user's address id, and changes nothing", async () => {
    const u = await user();
    const victim = await user("victim");
    const theirs = await addVerified(victim);
    const before = JSON.stringify([await rowsFor(u.userId), await rowsFor(victim.userId)]);
    const error = await errorOf(u.as().emailAddress.setPrimary({ emailAddressId: theirs.id }));
    expect(error.code).toBe("NOT_FOUND");
    expect(error.message).not.toContain(theirs.email);
    expect(JSON.stringify([await rowsFor(u.userId), await rowsFor(victim.userId)])).toBe(before);
    expect(u.sent).toEqual([]);
  });
});

describe("removing an address", () => {
  it("removes a secondary address of the caller", async () => {
    const u = await user();
    const second = await addVerified(u);
    // As if the sign-up address had been confirmed too (that step belongs to sign-up).
    await db().query(`update email_addresses set verified_at = now() where user_id = '${u.userId}' and email = '${u.email}'`);
    await u.as().emailAddress.remove({ emailAddressId: second.id });
    expect((await rowsFor(u.userId)).map((r) => r.email)).toEqual([u.email]);
    expect(await auditActions(u.userId)).toContain("user.email_removed:success");
  });

  it("never removes the primary address", async () => {
    const u = await user();
    await addVerified(u);
    const [primary] = (await rowsFor(u.userId)).filter((r) => r.is_primary);
    const error = await errorOf(u.as().emailAddress.remove({ emailAddressId: primary!.id }));
    expect([error.code, error.reason]).toEqual(["CONFLICT", "CANNOT_REMOVE_PRIMARY_EMAIL"]);
    expect(await rowsFor(u.userId)).toHaveLength(2);
    expect(await auditActions(u.userId)).toContain("user.email_removed:failure");
  });

  it("never removes the last verified address", async () => {
    const u = await userWithUnverifiedSignUpAddress();
    // The sign-up address (primary) is still unverified: the added one is the only verified address.
    const second = await addVerified(u);
    const error = await errorOf(u.as().emailAddress.remove({ emailAddressId: second.id }));
    expect([error.code, error.reason]).toEqual(["CONFLICT", "CANNOT_REMOVE_LAST_VERIFIED_EMAIL"]);
    expect(await rowsFor(u.userId)).toHaveLength(2);
  });

  it("removes an unverified address that is not primary", async () => {
    const u = await userWithUnverifiedSignUpAddress();
    const second = await addVerified(u);
    await u.as().emailAddress.setPrimary({ emailAddressId: second.id });
    const [signUpAddress] = (await rowsFor(u.userId)).filter((r) => r.email === u.email);
    await u.as().emailAddress.remove({ emailAddressId: signUpAddress!.id });
    expect((await rowsFor(u.userId)).map((r) => r.email)).toEqual([second.email]);
  });

  it("finds nothing with another user's address id, and removes nothing", async () => {
    const u = await user();
    const victim = await user("victim");
    const theirs = await addVerified(victim);
    const error = await errorOf(u.as().emailAddress.remove({ emailAddressId: theirs.id }));
    expect([error.code, error.reason]).toEqual(["NOT_FOUND", "NOT_FOUND"]);
    expect((await rowsFor(victim.userId)).map((r) => r.email)).toContain(theirs.email);
  });
});

describe("who may call", () => {
  it("refuses every procedure without a session", async () => {
    const anonymous = callerFor(db()).caller.emailAddress;
    const calls = [
      anonymous.list(),
      anonymous.add({ email: uniqueEmail("anon") }),
      anonymous.verify({ email: uniqueEmail("anon"), code: "123456" }),
      anonymous.setPrimary({ emailAddressId: "idn_abc" }),
      anonymous.remove({ emailAddressId: "idn_abc" }),
    ];
    // Every rejection gets its handler at once (errorOf), so none is reported as unhandled while another is awaited.
    for (const error of await Promise.all(calls.map((call) => errorOf(call)))) expect(error.code).toBe("UNAUTHORIZED");
  });

  it("lists only the caller's addresses and pending additions", async () => {
    const u = await user();
    const other = await user("other");
    const theirs = await addVerified(other);
    const theirPending = uniqueEmail("their-pending");
    await other.as().emailAddress.add({ email: theirPending });
    const text = JSON.stringify(await u.as().emailAddress.list());
    expect(text).not.toContain(other.email);
    expect(text).not.toContain(theirs.email);
    expect(text).not.toContain(theirPending);
  });
});

describe("bad input", () => {
  const tables = ["email_addresses", "verifications"];
  const cases = [
    ["add", {}, "email"],
    ["add", { email: "not-an-email" }, "email"],
    ["add", { email: `${"a".repeat(300)}@example.test` }, "email"],
    ["add", { email: 42 }, "email"],
    ["verify", { email: "a@example.test", code: "" }, "code"],
    ["verify", { email: "a@example.test", code: "12ab56" }, "code"],
    ["verify", { email: "a@example.test", code: "1".repeat(5000) }, "code"],
    ["verify", { email: "nope", code: "123456" }, "email"],
    ["setPrimary", { emailAddressId: "" }, "emailAddressId"],
    ["setPrimary", { emailAddressId: "user_abc" }, "emailAddressId"],
    ["remove", { emailAddressId: "x".repeat(5000) }, "emailAddressId"],
    ["remove", { emailAddressId: ["idn_abc"] }, "emailAddressId"],
  ] as const;

  it.each(cases)("refuses bad input to %s (case %#) with a 400 naming the field, and writes nothing", async (procedure, input, field) => {
    const u = await user();
    const before = await Promise.all(tables.map((t) => countRows(db(), t)));
    const error = await errorOf(u.as().emailAddress[procedure](input as never));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toContain(field);
    expect(await Promise.all(tables.map((t) => countRows(db(), t)))).toEqual(before);
    expect(u.sent).toEqual([]);
  });
});
