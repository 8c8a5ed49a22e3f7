import { describe, expect, it } from "vitest";
import { useTestDb } from "@latchkey/db/testing";
import { createMemoryMailer } from "../mail/index.ts";
import { APP_URL, callerFor, countRows, errorOf, PASSWORD, signUp, tokenFrom, uniqueEmail } from "../../test/helpers.ts";
import { createSoftAuthenticator } from "../../test/soft-authenticator.ts";
import { createPasskeyAuthenticationOptions, verifyPasskeyAuthentication, defaultPasskeyName } from "../passkeys.ts";

const db = useTestDb();
const MINUTE = 60_000;

/** A signed-up user (just signed in, so reverified) with a mail capture and a software authenticator. */
async function user(label = "pk") {
  const account = await signUp(db(), uniqueEmail(label));
  const { mailer, sent } = createMemoryMailer();
  const as = (options: { now?: () => Date; ip?: string } = {}) => callerFor(db(), { token: account.token, mailer, ...options }).caller;
  const authenticator = createSoftAuthenticator({ origin: APP_URL });
  return { ...account, sent, mailer, as, authenticator };
}

type User = Awaited<ReturnType<typeof user>>;

async function register(u: User, name?: string) {
  const { challengeId, options } = await u.as().passkey.registrationOptions();
  const response = u.authenticator.register(options);
  return u.as().passkey.register({ challengeId, response, ...(name ? { name } : {}) });
}

async function signInWith(u: User, pick: Parameters<User["authenticator"]["authenticate"]>[1] = {}) {
  const anonymous = callerFor(db());
  const { challengeId, options } = await anonymous.caller.passkey.authenticationOptions();
  const response = u.authenticator.authenticate(options, pick);
  const result = await anonymous.caller.passkey.signIn({ challengeId, response });
  return { result, token: tokenFrom(anonymous.resHeaders) };
}

async function auditActions(userId: string) {
  const rows = await db().query<{ action: string; outcome: string }>(
    `select action, outcome from audit_events where (actor_user_id = '${userId}' or target_id = '${userId}') and (action like 'user.passkey%' or action = 'session.sign_in') order by occurred_at, id`,
  );
  return rows.map((r) => `${r.action}:${r.outcome}`);
}

/** Moves the session's last reverification back, as if the password was confirmed long ago. */
async function staleReverification(u: User) {
  await db().query(`update sessions set last_reverified_at = now() - interval '2 hours', created_at = now() - interval '2 hours' where user_id = '${u.userId}'`);
}

describe("registering a passkey", () => {
  it("stores the verified credential with a default name, audits it and emails a notice", async () => {
    const u = await user();
    const { challengeId, options } = await u.as().passkey.registrationOptions();
    expect(options.rp).toEqual({ id: "localhost", name: "Latchkey" });
    expect(options.authenticatorSelection).toMatchObject({ residentKey: "required", userVerification: "preferred" });
    expect(options.user.name).toBe(u.email);
    expect(options.excludeCredentials).toEqual([]);
    const added = await u.as({}).passkey.register({ challengeId, response: u.authenticator.register(options) });
    expect(added).toMatchObject({ name: "Passkey", backedUp: false, deviceType: "singleDevice", lastUsedAt: null });
    const [row] = await db().query<{ credential_id: string; counter: string; transports: string[]; aaguid: string }>(
      `select credential_id, counter, transports, aaguid from passkeys where user_id = '${u.userId}'`,
    );
    expect(row!.credential_id).toBe(u.authenticator.credentials[0]!.id.toString("base64url"));
    expect(row!.transports).toEqual(["internal"]);
    expect(row!.aaguid).toBe("00000000-0000-0000-0000-000000000000");
    expect(u.sent.map((m) => [m.kind, m.values])).toEqual([["security-notice", { event: "passkey_added" }]]);
    expect(await auditActions(u.userId)).toContain("user.passkey_added:success");
    // The list shows it, without key material or credential id.
    const listed = await u.as().passkey.list();
    expect(listed).toHaveLength(1);
    expect(Object.keys(listed[0]!).sort()).toEqual(["backedUp", "createdAt", "deviceType", "id", "lastUsedAt", "name", "transports"]);
    // The next options exclude it, so the same authenticator isn't registered twice.
    const next = await u.as().passkey.registrationOptions();
    expect(next.options.excludeCredentials?.map((c) => c.id)).toEqual([row!.credential_id]);
  });

  it("names a passkey after the browser that made it when no name is given", () => {
    expect(defaultPasskeyName("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15")).toBe(
      "Safari on macOS",
    );
    expect(defaultPasskeyName("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36")).toBe("Chrome on Linux");
    expect(defaultPasskeyName(null)).toBe("Passkey");
  });

  it("needs a recent reverification, for the options and for the registration", async () => {
    const u = await user();
    const { challengeId, options } = await u.as().passkey.registrationOptions();
    await staleReverification(u);
    const refused = await errorOf(u.as().passkey.registrationOptions());
    expect([refused.code, refused.reason]).toEqual(["FORBIDDEN", "REVERIFICATION_REQUIRED"]);
    const late = await errorOf(u.as().passkey.register({ challengeId, response: u.authenticator.register(options) }));
    expect([late.code, late.reason]).toEqual(["FORBIDDEN", "REVERIFICATION_REQUIRED"]);
    expect(await countRows(db(), `passkeys where user_id = '${u.userId}'`)).toBe(0);
  });

  it("uses a challenge once, only before it expires, and only for the user it was made for", async () => {
    const u = await user();
    const other = await user("other");
    const { challengeId, options } = await u.as().passkey.registrationOptions();
    const response = u.authenticator.register(options);
    // Someone else can't answer it.
    const stolen = await errorOf(other.as().passkey.register({ challengeId, response }));
    expect([stolen.code, stolen.reason, stolen.field]).toEqual(["BAD_REQUEST", "PASSKEY_CHALLENGE_INVALID", "challengeId"]);
    await u.as().passkey.register({ challengeId, response });
    const replay = await errorOf(u.as().passkey.register({ challengeId, response }));
    expect([replay.code, replay.reason]).toEqual(["BAD_REQUEST", "PASSKEY_CHALLENGE_INVALID"]);
    // Five minutes later a fresh challenge is dead.
    const fresh = await u.as().passkey.registrationOptions();
    const later = () => new Date(Date.now() + 6 * MINUTE);
    const expired = await errorOf(
      callerFor(db(), { token: u.token, now: later }).caller.passkey.register({ challengeId: fresh.challengeId, response: u.authenticator.register(fresh.options) }),
    );
    expect([expired.code, expired.reason]).toEqual(["BAD_REQUEST", "PASSKEY_CHALLENGE_INVALID"]);
    expect(await countRows(db(), `passkeys where user_id = '${u.userId}'`)).toBe(1);
    expect(await countRows(db(), `passkeys where user_id = '${other.userId}'`)).toBe(0);
  });

  it("refuses an answer made for another origin or another challenge with a 400 on response", async () => {
    const u = await user();
    const a = await u.as().passkey.registrationOptions();
    const phished = await errorOf(u.as().passkey.register({ challengeId: a.challengeId, response: u.authenticator.register(a.options, { origin: "https://evil.example" }) }));
    expect([phished.code, phished.reason, phished.field]).toEqual(["BAD_REQUEST", "PASSKEY_INVALID_RESPONSE", "response"]);
    const b = await u.as().passkey.registrationOptions();
    const c = await u.as().passkey.registrationOptions();
    const crossed = await errorOf(u.as().passkey.register({ challengeId: b.challengeId, response: u.authenticator.register(c.options) }));
    expect(crossed.reason).toBe("PASSKEY_INVALID_RESPONSE");
    expect(await countRows(db(), `passkeys where user_id = '${u.userId}'`)).toBe(0);
    expect(await auditActions(u.userId)).toContain("user.passkey_add_failed:failure");
  });

  it("answers malformed responses with a 400 naming the field, never a 500", async () => {
    const u = await user();
    const { challengeId, options } = await u.as().passkey.registrationOptions();
    const good = u.authenticator.register(options);
    const cases: [unknown, string][] = [
      [{ ...good, response: { ...good.response, attestationObject: "not base64!" } }, "response.response.attestationObject"],
      [{ ...good, type: "password" }, "response.type"],
      [{ ...good, id: "x".repeat(5000) }, "response.id"],
      ["just a string", "response"],
    ];
    for (const [response, field] of cases) {
      const error = await errorOf(u.as().passkey.register({ challengeId, response: response as never }));
      expect([error.code, error.reason]).toEqual(["BAD_REQUEST", "INVALID_INPUT"]);
      expect(error.message).toContain(field);
    }
    // Well-formed base64url that isn't CBOR: refused by the verifier, still a 400.
    const garbage = await errorOf(
      u.as().passkey.register({ challengeId, response: { ...good, response: { ...good.response, attestationObject: "AAAA" } } }),
    );
    expect([garbage.code, garbage.reason, garbage.field]).toEqual(["BAD_REQUEST", "PASSKEY_INVALID_RESPONSE", "response"]);
    expect(await countRows(db(), `passkeys where user_id = '${u.userId}'`)).toBe(0);
  });

  it("refuses anonymous callers", async () => {
    const anonymous = callerFor(db()).caller;
    for (const call of [() => anonymous.passkey.registrationOptions(), () => anonymous.passkey.list()]) {
      expect((await errorOf(call())).code).toBe("UNAUTHORIZED");
    }
  });
});

describe("managing passkeys", () => {
  it("renames and removes only the caller's own passkeys; someone else's id is NOT_FOUND and nothing changes", async () => {
    const u = await user();
    const other = await user("other");
    const mine = await register(u, "Laptop");
    const theirs = await register(other, "Phone");
    const renamed = await u.as().passkey.rename({ passkeyId: mine.id, name: "  Work laptop " });
    expect(renamed.name).toBe("Work laptop");
    const foreignRename = await errorOf(u.as().passkey.rename({ passkeyId: theirs.id, name: "Mine now" }));
    const foreignRemove = await errorOf(u.as().passkey.remove({ passkeyId: theirs.id }));
    expect([foreignRename.code, foreignRemove.code]).toEqual(["NOT_FOUND", "NOT_FOUND"]);
    expect((await other.as().passkey.list()).map((p) => p.name)).toEqual(["Phone"]);

    const badName = await errorOf(u.as().passkey.rename({ passkeyId: mine.id, name: " " }));
    expect([badName.code, badName.message]).toEqual(["BAD_REQUEST", "name: Enter a name."]);
    const badId = await errorOf(u.as().passkey.remove({ passkeyId: "user_123" }));
    expect(badId.message).toContain("passkeyId");

    u.sent.length = 0;
    await staleReverification(u);
    const stale = await errorOf(u.as().passkey.remove({ passkeyId: mine.id }));
    expect(stale.reason).toBe("REVERIFICATION_REQUIRED");
    await db().query(`update sessions set last_reverified_at = now() where user_id = '${u.userId}'`);
    // A session elsewhere (here: one signed in with this passkey) ends when the passkey is removed.
    const elsewhere = await signInWith(u);
    await u.as().passkey.remove({ passkeyId: mine.id });
    expect(await callerFor(db(), { token: elsewhere.token }).caller.auth.session()).toBeNull();
    expect((await u.as().auth.session())?.userId).toBe(u.userId);
    expect(await u.as().passkey.list()).toEqual([]);
    expect(u.sent.map((m) => m.values)).toEqual([{ event: "passkey_removed" }]);
    expect(await auditActions(u.userId)).toEqual(expect.arrayContaining(["user.passkey_renamed:success", "user.passkey_removed:success"]));
  });
});

describe("signing in with a passkey", () => {
  it("starts a session for the passkey's owner and records when it was used", async () => {
    const u = await user();
    const added = await register(u);
    const { result, token } = await signInWith(u);
    expect(result.userId).toBe(u.userId);
    expect(token).toBeTruthy();
    const me = await callerFor(db(), { token }).caller.auth.session();
    expect(me?.userId).toBe(u.userId);
    const [listed] = await u.as().passkey.list();
    expect(listed!.id).toBe(added.id);
    expect(listed!.lastUsedAt).toBeInstanceOf(Date);
    const rows = await db().query<{ details: { method: string } }>(
      `select details from audit_events where actor_user_id = '${u.userId}' and action = 'session.sign_in' and outcome = 'success' order by occurred_at desc limit 1`,
    );
    expect(rows[0]!.details.method).toBe("passkey");
  });

  it("asks for discoverable credentials with user verification, and no allow list", async () => {
    const { options } = await callerFor(db()).caller.passkey.authenticationOptions();
    expect(options.rpId).toBe("localhost");
    expect(options.userVerification).toBe("required");
    expect(options.allowCredentials ?? []).toEqual([]);
  });

  it("gives one generic answer for an unknown credential and sets no cookie", async () => {
    const stranger = await user("stranger");
    stranger.authenticator.register({ challenge: "x", rp: { id: "localhost" }, user: { id: "someone" } });
    const anonymous = callerFor(db());
    const { challengeId, options } = await anonymous.caller.passkey.authenticationOptions();
    const error = await errorOf(anonymous.caller.passkey.signIn({ challengeId, response: stranger.authenticator.authenticate(options) }));
    expect([error.code, error.reason]).toEqual(["UNAUTHORIZED", "PASSKEY_NOT_ACCEPTED"]);
    expect(tokenFrom(anonymous.resHeaders)).toBeNull();
  });

  it("refuses a wrong origin, a replayed challenge and a signature counter that went backwards", async () => {
    const u = await user();
    u.authenticator.credentials.length = 0;
    const counting = createSoftAuthenticator({ origin: APP_URL, counting: true });
    const v = { ...u, authenticator: counting };
    await register(v);
    const phished = await errorOf(signInWith(v, { origin: "https://evil.example" }));
    expect(phished.reason).toBe("PASSKEY_NOT_ACCEPTED");

    const anonymous = callerFor(db());
    const { challengeId, options } = await anonymous.caller.passkey.authenticationOptions();
    const response = counting.authenticate(options);
    await anonymous.caller.passkey.signIn({ challengeId, response });
    const replay = await errorOf(callerFor(db()).caller.passkey.signIn({ challengeId, response }));
    expect([replay.code, replay.reason, replay.field]).toEqual(["BAD_REQUEST", "PASSKEY_CHALLENGE_INVALID", "challengeId"]);

    // A cloned authenticator shows up as a counter that did not move forward.
    const cloned = await errorOf(signInWith(v, { counter: 1 }));
    expect(cloned.reason).toBe("PASSKEY_NOT_ACCEPTED");
    expect(await auditActions(u.userId)).toContain("session.sign_in:success");
  });

  it("gives exactly one session for concurrent answers to one challenge", async () => {
    const u = await user();
    await register(u);
    const { challengeId, options } = await callerFor(db()).caller.passkey.authenticationOptions();
    const response = u.authenticator.authenticate(options);
    const attempts = Array.from({ length: 8 }, () => callerFor(db()));
    const results = await Promise.allSettled(attempts.map((a) => a.caller.passkey.signIn({ challengeId, response })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(attempts.filter((a) => tokenFrom(a.resHeaders)).length).toBe(1);
    expect(await countRows(db(), `sessions where user_id = '${u.userId}'`)).toBe(2);
  });

  it("refuses a passkey without user verification", async () => {
    const u = await user();
    const lazy = createSoftAuthenticator({ origin: APP_URL, userVerified: false });
    await register({ ...u, authenticator: lazy });
    const error = await errorOf(signInWith({ ...u, authenticator: lazy }));
    expect(error.reason).toBe("PASSKEY_NOT_ACCEPTED");
  });

  it.each([
    ["banned", "banned_at = now()"],
    ["deleted", "deleted_at = now()"],
    ["locked", "locked_until = now() + interval '10 minutes'"],
  ])("refuses a %s account with the same generic answer", async (reason, change) => {
    const u = await user();
    await register(u);
    await db().query(`update users set ${change} where id = '${u.userId}'`);
    const error = await errorOf(signInWith(u));
    expect([error.code, error.reason]).toEqual(["UNAUTHORIZED", "PASSKEY_NOT_ACCEPTED"]);
    const rows = await db().query<{ details: { reason: string } }>(
      `select details from audit_events where actor_user_id = '${u.userId}' and action = 'session.sign_in' and outcome = 'failure'`,
    );
    expect(rows.map((r) => r.details.reason)).toEqual([reason]);
  });

  it("answers malformed assertions with a 400 naming the field", async () => {
    const anonymous = callerFor(db()).caller;
    const { challengeId } = await anonymous.passkey.authenticationOptions();
    const error = await errorOf(anonymous.passkey.signIn({ challengeId, response: { id: "abc", rawId: "abc", type: "public-key", response: {} } as never }));
    expect([error.code, error.reason]).toEqual(["BAD_REQUEST", "INVALID_INPUT"]);
    expect(error.message).toContain("response.response.clientDataJSON");
    const badChallenge = await errorOf(anonymous.passkey.signIn({ challengeId: "nope", response: {} as never }));
    expect(badChallenge.message).toContain("challengeId");
  });
});

describe("passkeys as a second factor (helpers for the sign-in's second step)", () => {
  it("allow only the user's passkeys and accept only that user's", async () => {
    const u = await user();
    const other = await user("other");
    await register(u);
    await register(other);
    const ctx = callerFor(db()).ctx;
    const forU = await createPasskeyAuthenticationOptions(ctx, { userId: u.userId, purpose: "second_factor" });
    expect(forU.options.allowCredentials?.map((c) => c.id)).toEqual([u.authenticator.credentials[0]!.id.toString("base64url")]);
    const ok = await verifyPasskeyAuthentication(ctx, { challengeId: forU.challengeId, response: u.authenticator.authenticate(forU.options) as never, expectedUserId: u.userId });
    expect(ok.userId).toBe(u.userId);

    const again = await createPasskeyAuthenticationOptions(ctx, { userId: u.userId, purpose: "second_factor" });
    const wrongUser = await errorOf(
      verifyPasskeyAuthentication(ctx, { challengeId: again.challengeId, response: other.authenticator.authenticate(again.options) as never, expectedUserId: u.userId }),
    );
    expect(wrongUser.reason).toBe("PASSKEY_NOT_ACCEPTED");
    // A second-factor challenge can't be used to sign in without a password, and the other way round.
    const sf = await createPasskeyAuthenticationOptions(ctx, { userId: u.userId, purpose: "second_factor" });
    const asSignIn = await errorOf(callerFor(db()).caller.passkey.signIn({ challengeId: sf.challengeId, response: u.authenticator.authenticate(sf.options) }));
    expect(asSignIn.reason).toBe("PASSKEY_CHALLENGE_INVALID");
  });
});

describe("a passkey finishing the second step of a password sign-in", () => {
  function challengeFrom(resHeaders: Headers): string | null {
    for (const cookie of resHeaders.getSetCookie()) {
      const match = /^latchkey_sign_in=([^;]*)/.exec(cookie);
      if (match && match[1]) return decodeURIComponent(match[1]);
    }
    return null;
  }

  it("asks a user with a passkey for it after the password, and only that user's passkey gives the session", async () => {
    const u = await user();
    const other = await user("other");
    await register(u);
    await register(other);
    const first = callerFor(db());
    const result = await first.caller.auth.signIn({ email: u.email, password: PASSWORD });
    expect(result).toMatchObject({ status: "needs_second_factor", strategies: ["passkey"] });
    expect(tokenFrom(first.resHeaders)).toBeNull();
    const challenge = challengeFrom(first.resHeaders);
    const step = () => callerFor(db(), { signInChallengeToken: challenge });

    // Someone else's passkey is a wrong answer: one attempt used, no session.
    const forOther = await step().caller.signIn.passkeyOptions();
    expect(forOther.options.allowCredentials?.map((c) => c.id)).toEqual([u.authenticator.credentials[0]!.id.toString("base64url")]);
    const wrong = await errorOf(
      step().caller.signIn.secondFactor({ strategy: "passkey", challengeId: forOther.challengeId, response: other.authenticator.authenticate(forOther.options) }),
    );
    expect(wrong.reason).toBe("INVALID_CODE");

    const options = await step().caller.signIn.passkeyOptions();
    const done = step();
    const finished = await done.caller.signIn.secondFactor({ strategy: "passkey", challengeId: options.challengeId, response: u.authenticator.authenticate(options.options) });
    expect(finished.status).toBe("complete");
    const token = tokenFrom(done.resHeaders);
    expect((await callerFor(db(), { token }).caller.user.me()).id).toBe(u.userId);
  });

  it("refuses passkey options without a pending sign-in", async () => {
    expect((await errorOf(callerFor(db()).caller.signIn.passkeyOptions())).reason).toBe("SIGN_IN_CHALLENGE_EXPIRED");
  });
});
