import { describe, expect, it } from "vitest";
import { createLocalJWKSet, jwtVerify } from "jose";
import { useTestDb } from "@latchkey/db/testing";
import { APP_URL, callerFor, countRows, errorOf, signUp, tokenFrom, uniqueEmail } from "../../test/helpers.ts";
import { createInnerContext } from "../context.ts";
import { getJwks } from "../signing-keys.ts";
import { IMPERSONATION_LIFETIME_MINUTES } from "./impersonation.ts";

const db = useTestDb();

async function instanceAdmin(label = "imp-admin") {
  const user = await signUp(db(), uniqueEmail(label), { firstName: "Root" });
  await db().query(`update users set is_instance_admin = true where id = '${user.userId}'`);
  return user;
}

/** The impersonator cookie a response set, read back from its Set-Cookie header (null when cleared or absent). */
function impersonatorCookie(resHeaders: Headers): string | undefined {
  return resHeaders.getSetCookie().find((c) => c.startsWith("latchkey_impersonator="));
}

/** An admin viewing as a fresh user: the impersonation session's token and the admin's kept one. */
async function impersonate(reason = "Customer ticket #4521: can't see their project") {
  const admin = await instanceAdmin();
  const user = await signUp(db(), uniqueEmail("imp-user"), { firstName: "Vera" });
  const { caller, resHeaders } = callerFor(db(), { token: admin.token });
  const started = await caller.impersonation.start({ userId: user.userId, reason });
  const token = tokenFrom(resHeaders)!;
  /** A request in the impersonation session, as the browser sends it (both cookies). */
  const asViewer = (options: Parameters<typeof callerFor>[1] = {}) =>
    callerFor(db(), { token, impersonatorSessionToken: admin.token, ...options });
  return { admin, user, started, token, resHeaders, asViewer };
}

async function auditOf(action: string, targetId: string) {
  return db().query<{ outcome: string; actor_user_id: string; actor_session_id: string; details: Record<string, unknown> }>(
    `select outcome, actor_user_id, actor_session_id, details from audit_events where action = '${action}' and target_id = '${targetId}' order by occurred_at, id`,
  );
}

// Each test signs users up (argon2 hashing), slow on a busy machine.
describe("impersonation", { timeout: 60_000 }, () => {
  it("starts only with a reason of 3 to 500 characters, naming the reason field, and creates nothing otherwise", async () => {
    const admin = await instanceAdmin();
    const user = await signUp(db(), uniqueEmail("imp-user"));
    const { caller } = callerFor(db(), { token: admin.token });
    const before = await countRows(db(), "sessions");
    for (const input of [{ userId: user.userId }, { userId: user.userId, reason: "  a " }, { userId: user.userId, reason: "x".repeat(501) }, { userId: user.userId, reason: 42 }]) {
      const error = await errorOf(caller.impersonation.start(input as never));
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.reason).toBe("INVALID_INPUT");
      expect(error.message).toMatch(/reason/);
    }
    const error = await errorOf(caller.impersonation.start({ userId: "not-a-user-id", reason: "Support ticket" }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toMatch(/userId/);
    expect(await countRows(db(), "sessions")).toBe(before);
  });

  it("creates a session for the user that records the admin, audited with the reason, and switches the browser to it", async () => {
    const { admin, user, started, token, resHeaders } = await impersonate("Ticket 77: checking their organization list");
    const [row] = await db().query<{ user_id: string; impersonator_user_id: string; last_reverified_at: Date | null }>(
      `select user_id, impersonator_user_id, last_reverified_at from sessions where id = '${started.sessionId}'`,
    );
    expect(row).toMatchObject({ user_id: user.userId, impersonator_user_id: admin.userId, last_reverified_at: null });
    expect(token.startsWith(`${started.sessionId}.`)).toBe(true);
    // The admin's own session waits in its own HttpOnly, SameSite=Lax cookie, until the impersonation ends.
    const kept = impersonatorCookie(resHeaders)!;
    expect(kept).toContain(`latchkey_impersonator=${encodeURIComponent(admin.token)}`);
    expect(kept).toMatch(/HttpOnly/);
    expect(kept).toMatch(/SameSite=Lax/);
    expect(kept).toContain(`Expires=${new Date(started.expiresAt).toUTCString()}`);
    const audit = await auditOf("impersonation.started", user.userId);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ outcome: "success", actor_user_id: admin.userId });
    expect(audit[0]!.details).toMatchObject({ reason: "Ticket 77: checking their organization list", impersonationSessionId: started.sessionId });
  });

  it("is refused to anonymous callers and to signed-in users who are not instance admins", async () => {
    const plain = await signUp(db(), uniqueEmail("imp-plain"));
    const victim = await signUp(db(), uniqueEmail("imp-victim"));
    const before = await countRows(db(), "sessions");
    const anonymous = await errorOf(callerFor(db()).caller.impersonation.start({ userId: victim.userId, reason: "Just looking" }));
    expect(anonymous.code).toBe("UNAUTHORIZED");
    const { caller } = callerFor(db(), { token: plain.token });
    for (const call of [() => caller.impersonation.start({ userId: victim.userId, reason: "Just looking" }), () => caller.impersonation.target({ userId: victim.userId })]) {
      const error = await errorOf(call());
      expect(error.code).toBe("FORBIDDEN");
      expect(error.reason).toBe("INSTANCE_ADMIN_REQUIRED");
    }
    expect(await countRows(db(), "sessions")).toBe(before);
    expect(await auditOf("impersonation.started", victim.userId)).toEqual([]);
  });

  it("refuses the admin themself, other instance admins, banned, locked, deleted and unknown users, and audits the refusal", async () => {
    const admin = await instanceAdmin();
    const otherAdmin = await instanceAdmin("imp-other-admin");
    const banned = await signUp(db(), uniqueEmail("imp-banned"));
    const locked = await signUp(db(), uniqueEmail("imp-locked"));
    const deleted = await signUp(db(), uniqueEmail("imp-deleted"));
    await db().query(`update users set banned_at = now() where id = '${banned.userId}'`);
    await db().query(`update users set locked_until = now() + interval '1 hour' where id = '${locked.userId}'`);
    await db().query(`update users set deleted_at = now() where id = '${deleted.userId}'`);
    const { caller } = callerFor(db(), { token: admin.token });
    const before = await countRows(db(), "sessions");
    for (const [userId, refusal] of [
      [admin.userId, "self"],
      [otherAdmin.userId, "instance_admin"],
      [banned.userId, "banned"],
      [locked.userId, "locked"],
    ] as const) {
      const error = await errorOf(caller.impersonation.start({ userId, reason: "Support ticket" }));
      expect(error.code, refusal).toBe("FORBIDDEN");
      expect(error.reason).toBe("IMPERSONATION_NOT_ALLOWED");
      expect((await caller.impersonation.target({ userId })).refusal).toBe(refusal);
      const audit = await auditOf("impersonation.started", userId);
      expect(audit.map((a) => [a.outcome, a.details.refused])).toEqual([["failure", refusal]]);
    }
    for (const userId of [deleted.userId, "user_nobodyatall"]) {
      expect((await errorOf(caller.impersonation.start({ userId, reason: "Support ticket" }))).code).toBe("NOT_FOUND");
      expect((await errorOf(caller.impersonation.target({ userId }))).code).toBe("NOT_FOUND");
    }
    expect(await countRows(db(), "sessions")).toBe(before);
  });

  it("refuses sensitive procedures with IMPERSONATION_RESTRICTED, audited with the admin, while reads work", async () => {
    const { admin, user, asViewer } = await impersonate();
    const { caller } = asViewer();
    expect((await caller.user.me()).id).toBe(user.userId);
    expect((await caller.session.list()).sessions).toHaveLength(2);
    expect((await caller.emailAddress.list()).addresses.map((a) => a.email)).toContain(user.email);
    const beforeEmails = await countRows(db(), "email_addresses");
    for (const call of [
      () => caller.user.changePassword({ currentPassword: "correct horse battery staple", newPassword: "a brand new passphrase" }),
      () => caller.emailAddress.add({ email: uniqueEmail("imp-new") }),
      () => caller.session.revokeOthers(),
      () => caller.user.delete(),
      () => caller.auth.reverify({ password: "correct horse battery staple" }),
      () => caller.mfa.totp.start(),
      () => caller.webhook.list(),
      () => caller.impersonation.start({ userId: admin.userId, reason: "Nested" }),
    ]) {
      const error = await errorOf(call());
      expect(error.code).toBe("FORBIDDEN");
      expect(error.reason).toBe("IMPERSONATION_RESTRICTED");
    }
    expect(await countRows(db(), "email_addresses")).toBe(beforeEmails);
    expect((await caller.session.list()).sessions).toHaveLength(2);
    const denials = await db().query<{ actor_user_id: string; details: Record<string, unknown> }>(
      `select actor_user_id, details from audit_events where action = 'authorization.denied' and actor_user_id = '${user.userId}' order by occurred_at, id`,
    );
    expect(denials.length).toBe(8);
    // Two denials can share a timestamp, so they are found by path rather than by position.
    const changePassword = denials.find((denial) => denial.details.path === "user.changePassword");
    expect(changePassword?.details).toMatchObject({ reason: "IMPERSONATION_RESTRICTED", path: "user.changePassword", impersonatorUserId: admin.userId });
    expect(denials.every((denial) => denial.details.impersonatorUserId === admin.userId)).toBe(true);
  });

  it("names the admin on every audit event written while viewing as the user, and on none otherwise", async () => {
    const { admin, user, asViewer } = await impersonate();
    const org = await asViewer().caller.organization.create({ name: "Made while viewing" });
    const [event] = await auditOf("organization.created", org.id);
    expect(event).toMatchObject({ actor_user_id: user.userId });
    expect(event!.details.impersonatorUserId).toBe(admin.userId);
    const own = await callerFor(db(), { token: user.token }).caller.organization.create({ name: "Made by the user" });
    expect((await auditOf("organization.created", own.id))[0]!.details).not.toHaveProperty("impersonatorUserId");
  });

  it("tells the page who is being viewed and by whom, and nothing in a normal session", async () => {
    const { admin, user, asViewer, started } = await impersonate();
    const status = await asViewer().caller.impersonation.status();
    expect(status).toMatchObject({
      user: { id: user.userId, email: user.email, name: "Vera" },
      impersonator: { id: admin.userId, email: admin.email, name: "Root" },
    });
    expect(status!.expiresAt.getTime()).toBe(new Date(started.expiresAt).getTime());
    expect(await callerFor(db(), { token: user.token }).caller.impersonation.status()).toBeNull();
    expect((await asViewer().caller.auth.session())?.actor).toEqual({ sub: admin.userId });
    expect((await callerFor(db(), { token: user.token }).caller.auth.session())?.actor).toBeNull();
    // Stopping outside an impersonation changes nothing.
    expect(await callerFor(db(), { token: user.token }).caller.impersonation.stop()).toMatchObject({ stopped: false });
  });

  it("stops: deletes the session, audits the end and returns the browser to the admin's own session", async () => {
    const { admin, user, started, asViewer } = await impersonate();
    const { caller, resHeaders } = asViewer();
    expect(await caller.impersonation.stop()).toEqual({ stopped: true, userId: user.userId, restored: true });
    expect(tokenFrom(resHeaders)).toBe(admin.token);
    expect(impersonatorCookie(resHeaders)).toMatch(/^latchkey_impersonator=;.*Max-Age=0/);
    expect(await db().query(`select 1 from sessions where id = '${started.sessionId}'`)).toEqual([]);
    const [ended] = await auditOf("impersonation.ended", user.userId);
    expect(ended).toMatchObject({ outcome: "success", actor_user_id: admin.userId, actor_session_id: started.sessionId });
    expect(ended!.details).toMatchObject({ how: "stopped" });
    // The old impersonation token is dead; the admin's works.
    expect((await errorOf(asViewer().caller.user.me())).code).toBe("UNAUTHORIZED");
    expect((await callerFor(db(), { token: admin.token }).caller.user.me()).id).toBe(admin.userId);
  });

  it("signs out instead when the admin's own session ended meanwhile", async () => {
    const { admin, asViewer } = await impersonate();
    await db().query(`delete from sessions where id = '${admin.token.split(".")[0]}'`);
    const { caller, resHeaders } = asViewer();
    expect(await caller.impersonation.stop()).toMatchObject({ stopped: true, restored: false });
    expect(tokenFrom(resHeaders)).toBeNull();
    expect(resHeaders.getSetCookie().some((c) => /^latchkey_session=;.*Max-Age=0/.test(c))).toBe(true);
  });

  it("treats signing out while viewing as the user like stopping", async () => {
    const { admin, user, started, asViewer } = await impersonate();
    const { caller, resHeaders } = asViewer();
    expect(await caller.auth.signOut()).toEqual({ signedOut: true, impersonation: { userId: user.userId, restored: true } });
    expect(tokenFrom(resHeaders)).toBe(admin.token);
    expect(await db().query(`select 1 from sessions where id = '${started.sessionId}'`)).toEqual([]);
    const [ended] = await auditOf("impersonation.ended", user.userId);
    expect(ended!.details).toMatchObject({ how: "signed_out" });
    // The user's own session is untouched.
    expect((await callerFor(db(), { token: user.token }).caller.user.me()).id).toBe(user.userId);
  });

  it("puts the admin in the session JWT's act claim, verified against the JWKS, and no act claim otherwise", async () => {
    const { admin, user, asViewer, started } = await impersonate();
    const { jwt } = await asViewer().caller.token.get();
    const jwks = createLocalJWKSet(await getJwks(createInnerContext({ db: db().db, appUrl: APP_URL })));
    const { payload } = await jwtVerify(jwt, jwks, { issuer: APP_URL });
    expect(payload).toMatchObject({ sub: user.userId, sid: started.sessionId, act: { sub: admin.userId } });
    const own = await callerFor(db(), { token: user.token }).caller.token.get();
    expect((await jwtVerify(own.jwt, jwks)).payload).not.toHaveProperty("act");
    // A template can neither forge nor hide it: `act` is a reserved claim.
    const root = callerFor(db(), { token: admin.token }).caller;
    const error = await errorOf(root.jwtTemplate.create({ name: `imp-${Math.random().toString(36).slice(2, 8)}`, claims: { act: { sub: "someone" } } }));
    expect(error.reason).toBe("JWT_CLAIM_RESERVED");
    const name = `imp-${Math.random().toString(36).slice(2, 8)}`;
    await root.jwtTemplate.create({ name, claims: { aud: "reports" } });
    const templated = await asViewer().caller.token.get({ template: name });
    expect((await jwtVerify(templated.jwt, jwks)).payload).toMatchObject({ aud: "reports", act: { sub: admin.userId } });
  });

  it(`ends ${IMPERSONATION_LIFETIME_MINUTES} minutes after it started, however active`, async () => {
    const { started, asViewer } = await impersonate();
    const [row] = await db().query<{ minutes: number }>(
      `select extract(epoch from (expires_at - created_at)) / 60 as minutes from sessions where id = '${started.sessionId}'`,
    );
    expect(Number(row!.minutes)).toBe(IMPERSONATION_LIFETIME_MINUTES);
    const soon = new Date(Date.now() + (IMPERSONATION_LIFETIME_MINUTES - 1) * 60_000);
    expect(await asViewer({ now: () => soon }).caller.impersonation.status()).not.toBeNull();
    const later = new Date(Date.now() + (IMPERSONATION_LIFETIME_MINUTES + 1) * 60_000);
    const expired = asViewer({ now: () => later });
    expect((await errorOf(expired.caller.user.me())).code).toBe("UNAUTHORIZED");
    // Both cookies go: no admin token stays behind, and the request is not carried on as the admin.
    expect(impersonatorCookie(expired.resHeaders)).toMatch(/Max-Age=0/);
    expect(tokenFrom(expired.resHeaders)).toBeNull();
  });

  it("keeps the admin's session in a Secure __Host- cookie when the app is served over https", async () => {
    const admin = await instanceAdmin();
    const user = await signUp(db(), uniqueEmail("imp-user"));
    const { caller, resHeaders } = callerFor(db(), { token: admin.token, appUrl: "https://auth.example.com" });
    await caller.impersonation.start({ userId: user.userId, reason: "Checking https cookies" });
    const cookies = resHeaders.getSetCookie();
    const kept = cookies.find((c) => c.startsWith("__Host-latchkey_impersonator="))!;
    expect(kept).toContain(encodeURIComponent(admin.token));
    expect(kept).toMatch(/; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    expect(cookies.some((c) => c.startsWith("__Host-latchkey_session=sess_"))).toBe(true);
  });
});
