import { describe, expect, it } from "vitest";
import { useTestDb } from "@latchkey/db/testing";
import { lookupAuth } from "../auth-lookup.ts";
import { handleTrpcRequest } from "../http.ts";
import { APP_URL, callerFor, countRows, errorOf, PASSWORD, signUp, tokenFrom } from "../../test/helpers.ts";

const db = useTestDb();

const firefoxOnLinux = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
const safariOnIphone =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1";

/** Signs the user in once more, from another "device"; returns that session's token. */
async function signInAgain(email: string, userAgent: string, ip = "203.0.113.7") {
  const { caller, resHeaders } = callerFor(db(), { userAgent, ip });
  await caller.auth.signIn({ email, password: PASSWORD });
  return tokenFrom(resHeaders)!;
}

const idOf = (token: string) => token.split(".")[0]!;
const as = (token: string, options: Parameters<typeof callerFor>[1] = {}) => callerFor(db(), { token, ...options }).caller;

async function auditOf(action: string, targetId: string) {
  return db().query<{ outcome: string; actor_user_id: string | null; details: Record<string, unknown> }>(
    `select outcome, actor_user_id, details from audit_events where action = '${action}' and target_id = '${targetId}' order by occurred_at`,
  );
}

describe("session.list", () => {
  it("lists the caller's live sessions with browser, OS and IP, this one first and marked current", async () => {
    const { token, email, userId } = await signUp(db());
    const phone = await signInAgain(email, safariOnIphone, "203.0.113.9");
    const laptop = await signInAgain(email, firefoxOnLinux, "203.0.113.10");
    const { sessions } = await as(laptop).session.list();
    expect(sessions.map((s) => s.id)).toHaveLength(3);
    expect(sessions[0]).toMatchObject({ id: idOf(laptop), current: true, browser: "Firefox", browserVersion: "121", os: "Linux", ip: "203.0.113.10" });
    expect(sessions.find((s) => s.id === idOf(phone))).toMatchObject({ current: false, browser: "Mobile Safari", os: "iOS", deviceType: "mobile", ip: "203.0.113.9" });
    // The sign-up's session: the "vitest" user agent names no browser.
    expect(sessions.find((s) => s.id === idOf(token))).toMatchObject({ current: false, browser: null, os: null });
    expect(sessions.filter((s) => s.current)).toHaveLength(1);
    for (const s of sessions) {
      expect(s.createdAt).toBeInstanceOf(Date);
      expect(s.lastActiveAt).toBeInstanceOf(Date);
    }
    // Nothing secret: no hash, no token, no other user's id.
    const text = JSON.stringify(sessions);
    expect(text).not.toContain(laptop.split(".")[1]);
    expect(text).not.toMatch(/secret|hash/i);
    expect(text).not.toContain(userId);
  });

  it("leaves out expired sessions and other users' sessions", async () => {
    const a = await signUp(db());
    const b = await signUp(db());
    const old = await signInAgain(a.email, firefoxOnLinux);
    await db().query(`update sessions set idle_expires_at = now() - interval '1 minute' where id = '${idOf(old)}'`);
    const ids = (await as(a.token).session.list()).sessions.map((s) => s.id);
    expect(ids).toEqual([idOf(a.token)]);
    expect(ids).not.toContain(idOf(b.token));
  });

  it("is refused without a session", async () => {
    expect((await errorOf(callerFor(db()).caller.session.list())).code).toBe("UNAUTHORIZED");
  });
});

describe("session.revoke", () => {
  it("signs another device out: its very next request is refused, and the revocation is audited", async () => {
    const { token, email, userId } = await signUp(db());
    const other = await signInAgain(email, safariOnIphone);
    const result = await as(token).session.revoke({ sessionId: idOf(other) });
    expect(result).toEqual({ sessionId: idOf(other), signedOut: false });

    // The revoked cookie, on its next procedure call: 401, and the response clears the cookie.
    const { caller, resHeaders } = callerFor(db(), { token: other });
    const error = await errorOf(caller.user.me());
    expect([error.code, error.reason]).toEqual(["UNAUTHORIZED", "SESSION_REQUIRED"]);
    expect(resHeaders.getSetCookie().join("\n")).toMatch(/latchkey_session=;.*Max-Age=0/i);
    // And for a page loader, which resolves the caller the same way.
    expect(await lookupAuth(db().db, { token: other, orgSlug: null, now: new Date() })).toEqual({ status: "signed_out", reason: "unknown" });

    // The revoking session itself is untouched.
    expect((await as(token).user.me()).id).toBe(userId);
    expect(await auditOf("session.revoked", idOf(other))).toEqual([{ outcome: "success", actor_user_id: userId, details: { current: false } }]);
  });

  it("answers the revoked cookie's next HTTP request with 401", async () => {
    const { token, email } = await signUp(db());
    const other = await signInAgain(email, firefoxOnLinux);
    const request = () =>
      handleTrpcRequest(new Request(`${APP_URL}/api/trpc/session.list`, { headers: { cookie: `latchkey_session=${other}` } }), { db: db().db, appUrl: APP_URL, log: () => {} });
    expect((await request()).status).toBe(200);
    await as(token).session.revoke({ sessionId: idOf(other) });
    const refused = await request();
    expect(refused.status).toBe(401);
    expect(await refused.text()).not.toContain(other);
  });

  it("signs the caller out when it revokes its own session", async () => {
    const { token } = await signUp(db());
    const { caller, resHeaders } = callerFor(db(), { token });
    expect(await caller.session.revoke({ sessionId: idOf(token) })).toEqual({ sessionId: idOf(token), signedOut: true });
    expect(resHeaders.getSetCookie().join("\n")).toMatch(/latchkey_session=;/);
    expect((await errorOf(as(token).user.me())).code).toBe("UNAUTHORIZED");
  });

  it("answers NOT_FOUND for another user's session and leaves it signed in", async () => {
    const mine = await signUp(db());
    const theirs = await signUp(db());
    const before = await countRows(db(), "sessions");
    const error = await errorOf(as(mine.token).session.revoke({ sessionId: idOf(theirs.token) }));
    expect([error.code, error.reason]).toEqual(["NOT_FOUND", "NOT_FOUND"]);
    expect(await countRows(db(), "sessions")).toBe(before);
    expect((await as(theirs.token).user.me()).id).toBe(theirs.userId);
    expect((await auditOf("session.revoked", idOf(theirs.token))).map((a) => a.outcome)).toEqual(["failure"]);
  });

  it.each([
    [{}, "sessionId"],
    [{ sessionId: "" }, "sessionId"],
    [{ sessionId: "user_abc" }, "sessionId"],
    [{ sessionId: `sess_${"a".repeat(100)}` }, "sessionId"],
    [{ sessionId: 42 }, "sessionId"],
    [{ sessionId: "sess_'; drop table sessions; --" }, "sessionId"],
  ])("refuses bad input %# naming the field and ends nothing", async (input, field) => {
    const { token } = await signUp(db());
    const before = await countRows(db(), "sessions");
    const error = await errorOf(as(token).session.revoke(input as never));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toContain(field);
    expect(await countRows(db(), "sessions")).toBe(before);
  });

  it("is refused without a session", async () => {
    const { token } = await signUp(db());
    expect((await errorOf(callerFor(db()).caller.session.revoke({ sessionId: idOf(token) }))).code).toBe("UNAUTHORIZED");
    expect((await as(token).user.me()).id).toMatch(/^user_/);
  });
});

describe("session.revokeOthers", () => {
  it("ends every other session of the caller, keeps this one, and touches nobody else's", async () => {
    const me = await signUp(db());
    const someoneElse = await signUp(db());
    const phone = await signInAgain(me.email, safariOnIphone);
    const laptop = await signInAgain(me.email, firefoxOnLinux);
    expect(await as(laptop).session.revokeOthers()).toEqual({ revoked: 2 });
    expect((await as(laptop).session.list()).sessions.map((s) => s.id)).toEqual([idOf(laptop)]);
    for (const gone of [me.token, phone]) expect((await errorOf(as(gone).user.me())).code).toBe("UNAUTHORIZED");
    expect((await as(someoneElse.token).user.me()).id).toBe(someoneElse.userId);
    expect((await auditOf("session.revoked", idOf(phone))).map((a) => a.details)).toEqual([{ current: false, scope: "others" }]);
    // Nothing left to end.
    expect(await as(laptop).session.revokeOthers()).toEqual({ revoked: 0 });
  });

  it("is refused without a session", async () => {
    expect((await errorOf(callerFor(db()).caller.session.revokeOthers())).code).toBe("UNAUTHORIZED");
  });
});
