import { describe, expect, it } from "vitest";
import { useTestDb } from "@latchkey/db/testing";
import { createMemoryMailer } from "../mail/index.ts";
import { addMember, callerFor, countRows, createOrgWithMember, errorOf, PASSWORD, signUp, tokenFrom, uniqueEmail } from "../../test/helpers.ts";

const db = useTestDb();

const NEW_PASSWORD = "a brand new passphrase";
const idOf = (token: string) => token.split(".")[0]!;
const as = (token: string, options: Parameters<typeof callerFor>[1] = {}) => callerFor(db(), { token, ...options }).caller;
/** A clock 11 minutes ahead: past the strict reverification window of a session fresh from sign-in. */
const later = () => new Date(Date.now() + 11 * 60_000);

async function signInAgain(email: string, password = PASSWORD) {
  const { caller, resHeaders } = callerFor(db());
  await caller.auth.signIn({ email, password });
  return tokenFrom(resHeaders)!;
}

async function passwordHashOf(userId: string): Promise<string | undefined> {
  const rows = await db().query<{ hash: string }>(`select hash from password_credentials where user_id = '${userId}'`);
  return rows[0]?.hash;
}

async function auditOf(action: string, userId: string) {
  return db().query<{ outcome: string; details: Record<string, unknown> }>(
    `select outcome, details from audit_events where action = '${action}' and target_id = '${userId}' order by occurred_at`,
  );
}

describe("user.changePassword", () => {
  it("needs the right current password; then the other sessions end, this one stays, and the owner is told", async () => {
    const { token, email, userId } = await signUp(db());
    const phone = await signInAgain(email);
    const { mailer, sent } = createMemoryMailer();
    const result = await as(token, { mailer }).user.changePassword({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
    expect(result).toEqual({ changed: true, revokedSessions: 1 });

    expect((await as(token).user.me()).id).toBe(userId);
    expect((await errorOf(as(phone).user.me())).code).toBe("UNAUTHORIZED");
    expect(await passwordHashOf(userId)).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    // The new password signs in; the old one does not.
    expect((await errorOf(callerFor(db()).caller.auth.signIn({ email, password: PASSWORD }))).reason).toBe("INVALID_CREDENTIALS");
    await signInAgain(email, NEW_PASSWORD);

    expect(sent.map((m) => [m.to, m.kind, m.values])).toEqual([[email, "security-notice", { event: "password_changed" }]]);
    const [event] = await auditOf("user.password_changed", userId);
    expect(event).toEqual({ outcome: "success", details: { hadPassword: true, revokedSessionIds: [idOf(phone)] } });
    expect(JSON.stringify(event)).not.toContain(NEW_PASSWORD);
  });

  it("refuses a wrong current password naming currentPassword, writes nothing, and counts it toward the lockout", async () => {
    const { token, email, userId } = await signUp(db());
    const phone = await signInAgain(email);
    const hash = await passwordHashOf(userId);
    const { mailer, sent } = createMemoryMailer();
    const error = await errorOf(as(token, { mailer }).user.changePassword({ currentPassword: "not my password at all", newPassword: NEW_PASSWORD }));
    expect([error.code, error.reason, error.field]).toEqual(["BAD_REQUEST", "WRONG_PASSWORD", "currentPassword"]);
    expect(error.message).toContain("currentPassword");
    expect(await passwordHashOf(userId)).toBe(hash);
    expect((await as(phone).user.me()).id).toBe(userId);
    expect(sent).toEqual([]);
    const failures = await db().query<{ count: number }>(`select count from rate_limit_buckets where key = 'sign-in:failures:user:${userId}'`);
    expect(failures.map((f) => Number(f.count))).toEqual([1]);
    expect((await auditOf("user.password_changed", userId)).map((a) => [a.outcome, a.details.reason])).toEqual([["failure", "WRONG_PASSWORD"]]);
  });

  it("locks sign-in after ten wrong current passwords, as failed sign-ins would", async () => {
    const { token, email } = await signUp(db());
    for (let i = 0; i < 10; i += 1) {
      await errorOf(as(token).user.changePassword({ currentPassword: `wrong guess ${i}`, newPassword: NEW_PASSWORD }));
    }
    // The right password no longer signs in: the account is locked for 15 minutes (the answer stays generic).
    expect((await errorOf(callerFor(db()).caller.auth.signIn({ email, password: PASSWORD }))).reason).toBe("INVALID_CREDENTIALS");
    // And the session can't keep guessing either.
    expect((await errorOf(as(token).user.changePassword({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD }))).code).toBe("TOO_MANY_REQUESTS");
  });

  it("is refused with the reverification error when the password was last confirmed over 10 minutes ago", async () => {
    const { token, email, userId } = await signUp(db());
    const hash = await passwordHashOf(userId);
    const error = await errorOf(as(token, { now: later }).user.changePassword({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD }));
    expect([error.code, error.reason]).toEqual(["FORBIDDEN", "REVERIFICATION_REQUIRED"]);
    expect(await passwordHashOf(userId)).toBe(hash);
    await as(token, { now: later }).auth.reverify({ password: PASSWORD });
    await as(token, { now: later }).user.changePassword({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
    await signInAgain(email, NEW_PASSWORD);
  });

  it.each([
    [{ currentPassword: PASSWORD, newPassword: "short" }, "newPassword", "PASSWORD_TOO_SHORT"],
    [{ currentPassword: PASSWORD, newPassword: "password123" }, "newPassword", "PASSWORD_TOO_COMMON"],
    [{ currentPassword: PASSWORD, newPassword: "x".repeat(300) }, "newPassword", "PASSWORD_TOO_LONG"],
    [{ currentPassword: PASSWORD, newPassword: PASSWORD }, "newPassword", "PASSWORD_UNCHANGED"],
    [{ newPassword: NEW_PASSWORD }, "currentPassword", "INVALID_INPUT"],
    [{ currentPassword: PASSWORD }, "newPassword", "INVALID_INPUT"],
    [{ currentPassword: PASSWORD, newPassword: 12345678 }, "newPassword", "INVALID_INPUT"],
    [{ currentPassword: "x".repeat(5000), newPassword: NEW_PASSWORD }, "currentPassword", "INVALID_INPUT"],
  ])("refuses bad input %# naming the field and writes nothing", async (input, field, reason) => {
    const { token, email, userId } = await signUp(db());
    const phone = await signInAgain(email);
    const hash = await passwordHashOf(userId);
    const error = await errorOf(as(token).user.changePassword(input as never));
    expect([error.code, error.reason]).toEqual(["BAD_REQUEST", reason]);
    expect(error.message).toContain(field);
    expect(await passwordHashOf(userId)).toBe(hash);
    expect((await as(phone).user.me()).id).toBe(userId);
  });

  it("lets an account without a password set one without a current password, still behind reverification", async () => {
    const { token, email, userId } = await signUp(db());
    await db().query(`delete from password_credentials where user_id = '${userId}'`);
    expect((await as(token).user.accountStatus()).hasPassword).toBe(false);
    const stale = await errorOf(as(token, { now: later }).user.changePassword({ newPassword: NEW_PASSWORD }));
    expect(stale.reason).toBe("REVERIFICATION_REQUIRED");
    await as(token).user.changePassword({ newPassword: NEW_PASSWORD });
    expect((await as(token).user.accountStatus()).hasPassword).toBe(true);
    await signInAgain(email, NEW_PASSWORD);
    expect((await auditOf("user.password_changed", userId)).map((a) => a.details.hadPassword)).toEqual([false]);
  });

  it("kills a password reset link asked for before the change", async () => {
    const { token, email } = await signUp(db());
    const { mailer, sent } = createMemoryMailer();
    await callerFor(db(), { mailer }).caller.passwordReset.request({ email });
    const link = sent.find((m) => m.kind === "password-reset")!.values.link;
    const resetToken = new URL(link).searchParams.get("token")!;
    await as(token).user.changePassword({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
    const error = await errorOf(callerFor(db()).caller.passwordReset.confirm({ token: resetToken, password: "someone else's passphrase" }));
    expect(error.reason).toBe("INVALID_TOKEN");
  });

  it("is refused without a session", async () => {
    expect((await errorOf(callerFor(db()).caller.user.changePassword({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD }))).code).toBe("UNAUTHORIZED");
  });
});

describe("user.delete", () => {
  it("anonymizes the user, ends every session, frees the address, and the account can't sign in any more", async () => {
    const email = uniqueEmail("leaving");
    const { token, userId } = await signUp(db(), email, { firstName: "Leaving" });
    await as(token).user.updateProfile({ lastName: "Soon", username: "leaving_soon" });
    await db().query(`update users set public_metadata = '{"plan":"pro"}', private_metadata = '{"note":"x"}' where id = '${userId}'`);
    const phone = await signInAgain(email);
    const { caller, resHeaders } = callerFor(db(), { token });

    expect(await caller.user.delete()).toEqual({ deleted: true });
    expect(resHeaders.getSetCookie().join("\n")).toMatch(/latchkey_session=;/);

    const [row] = await db().query<Record<string, unknown>>(
      `select deleted_at, first_name, last_name, username, image_url, public_metadata, private_metadata, unsafe_metadata from users where id = '${userId}'`,
    );
    expect(row).toMatchObject({ first_name: null, last_name: null, username: null, image_url: null, public_metadata: {}, private_metadata: {}, unsafe_metadata: {} });
    expect(row!.deleted_at).not.toBeNull();
    for (const table of ["email_addresses", "password_credentials", "sessions", "memberships"]) {
      const [n] = await db().query<{ n: number }>(`select count(*)::int as n from ${table} where user_id = '${userId}'`);
      expect(Number(n!.n), table).toBe(0);
    }
    for (const gone of [token, phone]) expect((await errorOf(as(gone).user.me())).code).toBe("UNAUTHORIZED");
    expect((await errorOf(callerFor(db()).caller.auth.signIn({ email, password: PASSWORD }))).reason).toBe("INVALID_CREDENTIALS");
    // The address is free again: a new account can be made with it.
    const again = await signUp(db(), email);
    expect(again.userId).not.toBe(userId);
    expect((await auditOf("user.deleted", userId)).map((a) => a.outcome)).toEqual(["success"]);
  });

  it("refuses while the user is the last admin of an organization with other members, and changes nothing", async () => {
    const { admin, member, org } = await createOrgWithMember(db(), "Held");
    const before = await countRows(db(), "memberships");
    expect((await as(admin.token).user.accountStatus()).deletion.blockedBy.map((o) => o.id)).toEqual([org.id]);
    const error = await errorOf(as(admin.token).user.delete());
    expect([error.code, error.reason]).toEqual(["CONFLICT", "LAST_ADMIN"]);
    expect(error.message).toContain("Held");
    expect(await countRows(db(), "memberships")).toBe(before);
    expect((await as(admin.token).user.me()).id).toBe(admin.userId);
    expect((await auditOf("user.deleted", admin.userId)).map((a) => a.outcome)).toEqual(["failure"]);

    // With a second admin, the first may go; the organization and its other members stay.
    await addMember(db(), org.id, (await signUp(db())).userId, "org:admin");
    await as(admin.token).user.delete();
    const [left] = await db().query<{ n: number }>(`select count(*)::int as n from memberships where organization_id = '${org.id}'`);
    expect(Number(left!.n)).toBe(2);
    expect((await as(member.token).user.me()).id).toBe(member.userId);
  });

  it("lets exactly one of two admins go when both delete their accounts at once", async () => {
    const { admin, member, org } = await createOrgWithMember(db(), "Race");
    const second = await signUp(db());
    await addMember(db(), org.id, second.userId, "org:admin");
    const results = await Promise.allSettled([as(admin.token).user.delete(), as(second.token).user.delete()]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    const refused = results.find((r): r is PromiseRejectedResult => r.status === "rejected")!;
    expect((refused.reason as { reason: string }).reason).toBe("LAST_ADMIN");
    const admins = await db().query<{ n: number }>(`select count(*)::int as n from memberships where organization_id = '${org.id}' and 'org:admin' = any(role_keys)`);
    expect(Number(admins[0]!.n)).toBe(1);
    expect((await as(member.token).user.me()).id).toBe(member.userId);
  });

  it("deletes organizations where the user was the only member, and lets a plain member leave theirs", async () => {
    const { member, org } = await createOrgWithMember(db(), "Stays");
    const solo = await as(member.token).organization.create({ name: "Solo", slug: `solo-${Math.random().toString(36).slice(2, 8)}` });
    expect((await as(member.token).user.accountStatus()).deletion).toEqual({ blockedBy: [], deletesOrganizations: [{ id: solo.id, name: "Solo", slug: solo.slug }] });
    await as(member.token).user.delete();
    expect(await db().query(`select id from organizations where id = '${solo.id}'`)).toEqual([]);
    expect(await db().query(`select id from organizations where id = '${org.id}'`)).toHaveLength(1);
    const [event] = await auditOf("user.deleted", member.userId);
    expect(event!.details).toEqual({ leftOrganizationIds: [org.id], deletedOrganizationIds: [solo.id] });
  });

  it("is refused with the reverification error when the password was last confirmed over 10 minutes ago", async () => {
    const { token, userId } = await signUp(db());
    const error = await errorOf(as(token, { now: later }).user.delete());
    expect([error.code, error.reason]).toEqual(["FORBIDDEN", "REVERIFICATION_REQUIRED"]);
    expect((await as(token).user.me()).id).toBe(userId);
  });

  it("is refused without a session", async () => {
    expect((await errorOf(callerFor(db()).caller.user.delete())).code).toBe("UNAUTHORIZED");
    expect((await errorOf(callerFor(db()).caller.user.accountStatus())).code).toBe("UNAUTHORIZED");
  });
});
