import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { socialProviders } from "@latchkey/auth";
import { useTestDb } from "@latchkey/db/testing";
import { createMemoryMailer } from "../mail/index.ts";
import { defaultInstanceSettings, type InstanceSettings } from "../instance-settings.ts";
import { finishOAuth, startOAuth, type ConfiguredProvider } from "../oauth-flow.ts";
import { APP_URL, callerFor, countRows, errorOf, PASSWORD, signUp, tokenFrom, uniqueEmail } from "../../test/helpers.ts";
import { createSoftAuthenticator } from "../../test/soft-authenticator.ts";

const db = useTestDb();

let testStart = new Date();
beforeEach(() => {
  testStart = new Date();
});

// Every test starts from the defaults: the settings are one instance-wide row.
afterEach(async () => {
  await db().query(`delete from instance_settings`);
});

/** A signed-in instance administrator (the flag is set by the operator). */
async function instanceAdmin() {
  const user = await signUp(db(), uniqueEmail("instance-admin"));
  await db().query(`update users set is_instance_admin = true where id = '${user.userId}'`);
  return { ...user, caller: callerFor(db(), { token: user.token }).caller };
}

/** Changes settings as an admin would (through the procedure, so the checks apply). */
async function set(changes: Partial<InstanceSettings>) {
  const admin = await instanceAdmin();
  return admin.caller.instanceSettings.update(changes);
}

const allMethods = { password: true, emailCode: true, emailLink: true, passkey: true, oauth: true };
const methodsWithout = (off: keyof typeof allMethods) => ({ ...allMethods, [off]: false });

/** The settings changes recorded since `since` (the audit log outlives each test). */
async function settingsAudit(since: Date = testStart) {
  return db().query<{ actor_user_id: string; details: { changed: string[]; before: Record<string, unknown>; after: Record<string, unknown> } }>(
    `select actor_user_id, details from audit_events where action = 'instance_settings.updated' and occurred_at >= '${since.toISOString()}' order by occurred_at, id`,
  );
}

function capture() {
  const { mailer, sent } = createMemoryMailer();
  const codeOf = () => {
    const mail = sent.filter((m) => m.kind === "sign-in-code").at(-1);
    if (mail?.kind !== "sign-in-code") throw new Error("no sign-in code email");
    return mail.values.code;
  };
  const tokenOf = (kind: "magic-link" | "password-reset") => {
    const mail = sent.filter((m) => m.kind === kind).at(-1);
    if (!mail || (mail.kind !== "magic-link" && mail.kind !== "password-reset")) throw new Error(`no ${kind} email`);
    return new URL(mail.values.link).searchParams.get("token")!;
  };
  return { mailer, sent, codeOf, tokenOf };
}

describe("instanceSettings: who may read and change them", () => {
  it("refuses anonymous callers and signed-in users who are not instance admins, and writes nothing", async () => {
    const user = await signUp(db());
    const api = callerFor(db(), { token: user.token }).caller;
    for (const call of [() => api.instanceSettings.get(), () => api.instanceSettings.update({ requireMfa: true })]) {
      const error = await errorOf(call());
      expect(error.code).toBe("FORBIDDEN");
      expect(error.reason).toBe("INSTANCE_ADMIN_REQUIRED");
    }
    const anonymous = callerFor(db()).caller;
    expect((await errorOf(anonymous.instanceSettings.get())).code).toBe("UNAUTHORIZED");
    expect((await errorOf(anonymous.instanceSettings.update({ requireMfa: true }))).code).toBe("UNAUTHORIZED");
    expect(await countRows(db(), "instance_settings")).toBe(0);
    expect(await settingsAudit()).toEqual([]);
  });
});

describe("instanceSettings.get and update", () => {
  it("gives an admin the defaults before anything was changed", async () => {
    const admin = await instanceAdmin();
    expect(await admin.caller.instanceSettings.get()).toEqual(defaultInstanceSettings);
  });

  it("changes only the keys given, answers with the effective settings, and audits the changed keys before and after", async () => {
    const admin = await instanceAdmin();
    const result = await admin.caller.instanceSettings.update({
      signUpMode: "invite_only",
      blocklist: ["Spam.Example", "eve@example.org"],
      minPasswordLength: 12,
      requireMfa: false, // unchanged: not reported
    });
    expect(result.changed.sort()).toEqual(["blocklist", "minPasswordLength", "signUpMode"]);
    expect(result.settings).toEqual({ ...defaultInstanceSettings, signUpMode: "invite_only", blocklist: ["spam.example", "eve@example.org"], minPasswordLength: 12 });
    await admin.caller.instanceSettings.update({ sessionIdleMinutes: 60 });
    expect(await admin.caller.instanceSettings.get()).toMatchObject({ signUpMode: "invite_only", minPasswordLength: 12, sessionIdleMinutes: 60 });
    const audit = await settingsAudit();
    expect(audit).toHaveLength(2);
    expect(audit[0]!.actor_user_id).toBe(admin.userId);
    expect(audit[0]!.details.before).toEqual({ signUpMode: "public", blocklist: [], minPasswordLength: 8 });
    expect(audit[0]!.details.after).toEqual({ signUpMode: "invite_only", blocklist: ["spam.example", "eve@example.org"], minPasswordLength: 12 });
    expect(audit[1]!.details).toEqual({ changed: ["sessionIdleMinutes"], before: { sessionIdleMinutes: 7 * 24 * 60 }, after: { sessionIdleMinutes: 60 } });
  });

  it("records nothing when the change changes nothing", async () => {
    const admin = await instanceAdmin();
    const result = await admin.caller.instanceSettings.update({ signUpMode: "public", signInMethods: allMethods });
    expect(result.changed).toEqual([]);
    expect(await settingsAudit()).toEqual([]);
  });

  it("refuses bad input with a 400 naming the field's path, and writes nothing", async () => {
    const admin = await instanceAdmin();
    await admin.caller.instanceSettings.update({ minPasswordLength: 10 });
    const before = await admin.caller.instanceSettings.get();
    const cases: [unknown, string][] = [
      [{ allowlist: ["example.com", "ok@example.com", "not an address"] }, "allowlist.2"],
      [{ blocklist: ["@@"] }, "blocklist.0"],
      [{ sessionIdleMinutes: 1 }, "sessionIdleMinutes"],
      [{ sessionLifetimeMinutes: 60 * 24 * 366 }, "sessionLifetimeMinutes"],
      [{ sessionIdleMinutes: 30.5 }, "sessionIdleMinutes"],
      [{ minPasswordLength: 7 }, "minPasswordLength"],
      [{ minPasswordLength: 257 }, "minPasswordLength"],
      [{ signUpMode: "closed" }, "signUpMode"],
      [{ signUpFields: { username: "mandatory", firstName: "optional", lastName: "optional", phone: "hidden" } }, "signUpFields.username"],
      [{ signInMethods: { password: true } }, "signInMethods.emailCode"],
      [{ maxMembershipsPerOrganization: 0 }, "maxMembershipsPerOrganization"],
      [{ requireMfa: "yes" }, "requireMfa"],
    ];
    for (const [input, path] of cases) {
      const error = await errorOf(admin.caller.instanceSettings.update(input as never));
      expect(error.code, path).toBe("BAD_REQUEST");
      expect(error.reason, path).toBe("INVALID_INPUT");
      expect(error.message, path).toContain(`${path}:`);
    }
    const unknown = await errorOf(admin.caller.instanceSettings.update({ nonsense: true } as never));
    expect(unknown.code).toBe("BAD_REQUEST");
    expect(await admin.caller.instanceSettings.get()).toEqual(before);
    expect(await settingsAudit()).toHaveLength(1);
  });

  it("refuses an idle lifetime longer than the absolute one, naming sessionIdleMinutes (or the lifetime when only that changes)", async () => {
    const admin = await instanceAdmin();
    const idle = await errorOf(admin.caller.instanceSettings.update({ sessionIdleMinutes: 120, sessionLifetimeMinutes: 60 }));
    expect(idle).toMatchObject({ code: "BAD_REQUEST", reason: "INVALID_INPUT", field: "sessionIdleMinutes" });
    // Against the stored value: the default absolute lifetime is 30 days.
    const idleOnly = await errorOf(admin.caller.instanceSettings.update({ sessionIdleMinutes: 31 * 24 * 60 }));
    expect(idleOnly.field).toBe("sessionIdleMinutes");
    // The default idle lifetime is 7 days: an absolute lifetime of one day would be shorter.
    const lifetimeOnly = await errorOf(admin.caller.instanceSettings.update({ sessionLifetimeMinutes: 24 * 60 }));
    expect(lifetimeOnly.field).toBe("sessionLifetimeMinutes");
    expect(await countRows(db(), "instance_settings")).toBe(0);
    await admin.caller.instanceSettings.update({ sessionIdleMinutes: 60, sessionLifetimeMinutes: 60 });
  });

  it("refuses to turn every sign-in method off, so nobody is locked out", async () => {
    const admin = await instanceAdmin();
    const error = await errorOf(
      admin.caller.instanceSettings.update({ signInMethods: { password: false, emailCode: false, emailLink: false, passkey: false, oauth: false } }),
    );
    expect(error).toMatchObject({ code: "BAD_REQUEST", reason: "INVALID_INPUT", field: "signInMethods" });
    expect(await countRows(db(), "instance_settings")).toBe(0);
  });
});

describe("sign-in methods, enforced on the next request", () => {
  it("refuses a password sign-in while passwords are off, the same for known and unknown addresses, and takes it back at once", async () => {
    const user = await signUp(db());
    await set({ signInMethods: methodsWithout("password") });
    for (const email of [user.email, uniqueEmail("nobody")]) {
      const error = await errorOf(callerFor(db()).caller.auth.signIn({ email, password: PASSWORD }));
      expect(error).toMatchObject({ code: "FORBIDDEN", reason: "SIGN_IN_METHOD_DISABLED", message: "This sign-in method is turned off. Choose another way to sign in." });
    }
    await set({ signInMethods: allMethods });
    expect(await callerFor(db()).caller.auth.signIn({ email: user.email, password: PASSWORD })).toMatchObject({ status: "complete" });
  });

  it("refuses emailed codes while they are off, including a code sent before", async () => {
    const user = await signUp(db());
    const { mailer, codeOf } = capture();
    await callerFor(db(), { mailer }).caller.passwordless.requestCode({ email: user.email });
    const code = codeOf();
    await set({ signInMethods: methodsWithout("emailCode") });
    expect((await errorOf(callerFor(db(), { mailer }).caller.passwordless.requestCode({ email: user.email }))).reason).toBe("SIGN_IN_METHOD_DISABLED");
    expect((await errorOf(callerFor(db()).caller.passwordless.verifyCode({ email: user.email, code }))).reason).toBe("SIGN_IN_METHOD_DISABLED");
    await set({ signInMethods: allMethods });
    expect(await callerFor(db()).caller.passwordless.verifyCode({ email: user.email, code })).toMatchObject({ status: "complete" });
  });

  it("refuses emailed links while they are off, without spending a link sent before", async () => {
    const user = await signUp(db());
    const { mailer, tokenOf } = capture();
    await callerFor(db(), { mailer }).caller.passwordless.requestLink({ email: user.email });
    const token = tokenOf("magic-link");
    await set({ signInMethods: methodsWithout("emailLink") });
    expect((await errorOf(callerFor(db(), { mailer }).caller.passwordless.requestLink({ email: user.email }))).reason).toBe("SIGN_IN_METHOD_DISABLED");
    expect((await errorOf(callerFor(db()).caller.passwordless.confirmLink({ token }))).reason).toBe("SIGN_IN_METHOD_DISABLED");
    // Email codes are a separate switch.
    await callerFor(db(), { mailer }).caller.passwordless.requestCode({ email: user.email });
    await set({ signInMethods: allMethods });
    expect(await callerFor(db()).caller.passwordless.confirmLink({ token })).toMatchObject({ status: "complete" });
  });

  it("refuses passkey sign-in while passkeys are off, yet a passkey still finishes the second step of a password sign-in", async () => {
    const user = await signUp(db(), uniqueEmail("pk"));
    const authenticator = createSoftAuthenticator({ origin: APP_URL });
    const own = callerFor(db(), { token: user.token }).caller;
    const registration = await own.passkey.registrationOptions();
    await own.passkey.register({ challengeId: registration.challengeId, response: authenticator.register(registration.options) });
    const anonymous = callerFor(db()).caller;
    const options = await anonymous.passkey.authenticationOptions();

    await set({ signInMethods: methodsWithout("passkey") });
    expect((await errorOf(callerFor(db()).caller.passkey.authenticationOptions())).reason).toBe("SIGN_IN_METHOD_DISABLED");
    const refused = await errorOf(callerFor(db()).caller.passkey.signIn({ challengeId: options.challengeId, response: authenticator.authenticate(options.options) }));
    expect(refused).toMatchObject({ code: "FORBIDDEN", reason: "SIGN_IN_METHOD_DISABLED" });

    // Second factor: the password is the sign-in method; the passkey only confirms it.
    const first = callerFor(db());
    expect(await first.caller.auth.signIn({ email: user.email, password: PASSWORD })).toMatchObject({ status: "needs_second_factor", strategies: ["passkey"] });
    const challenge = /latchkey_sign_in=([^;]+)/.exec(first.resHeaders.getSetCookie().join("\n"))![1]!;
    const step = () => callerFor(db(), { signInChallengeToken: decodeURIComponent(challenge) });
    const second = await step().caller.signIn.passkeyOptions();
    const done = step();
    expect(await done.caller.signIn.secondFactor({ strategy: "passkey", challengeId: second.challengeId, response: authenticator.authenticate(second.options) })).toMatchObject({
      status: "complete",
    });
    expect(tokenFrom(done.resHeaders)).toBeTruthy();

    await set({ signInMethods: allMethods });
    const again = callerFor(db());
    const fresh = await again.caller.passkey.authenticationOptions();
    expect(await again.caller.passkey.signIn({ challengeId: fresh.challengeId, response: authenticator.authenticate(fresh.options) })).toMatchObject({ status: "complete" });
  });

  it("refuses to start social/SSO sign-in while it is off, and refuses the callback of one started before, without exchanging the code", async () => {
    const google = socialProviders({ google: { clientId: "client", clientSecret: "secret" } })[0]!;
    // The token endpoint can't be reached: a callback that got as far as exchanging the code would fail differently.
    const providers: ConfiguredProvider[] = [{ id: "google", label: "Google", resolve: async () => ({ ...google, tokenEndpoint: "https://token.invalid/token" }) }];
    const { ctx: startCtx, resHeaders } = callerFor(db());
    const { url } = await startOAuth(startCtx, providers, { provider: "google", intent: "sign_in" });
    const cookie = resHeaders.getSetCookie().find((c) => c.startsWith("latchkey_oauth="))!.split(";")[0]!;
    const state = new URL(url).searchParams.get("state")!;

    await set({ signInMethods: methodsWithout("oauth") });
    const refusedStart = await errorOf(startOAuth(callerFor(db()).ctx, providers, { provider: "google", intent: "sign_in" }));
    expect(refusedStart).toMatchObject({ code: "FORBIDDEN", reason: "SIGN_IN_METHOD_DISABLED" });
    const refusedCallback = await errorOf(
      finishOAuth(callerFor(db()).ctx, providers, { provider: "google", params: new URLSearchParams({ state, code: "abc" }), cookieHeader: cookie }),
    );
    expect(refusedCallback).toMatchObject({ code: "FORBIDDEN", reason: "SIGN_IN_METHOD_DISABLED" });

    // Linking an account to a signed-in user is not a sign-in.
    const user = await signUp(db());
    expect((await startOAuth(callerFor(db(), { token: user.token }).ctx, providers, { provider: "google", intent: "link" })).url).toContain("state=");
  });
});

describe("allow- and blocklists at sign-in", () => {
  it("refuses a blocked address by every typed-address method with one answer, whether or not it has an account", async () => {
    const user = await signUp(db(), `ann-${Date.now()}@blocked.example`);
    await set({ blocklist: ["blocked.example"] });
    const { mailer, sent } = capture();
    const answers = [];
    for (const email of [user.email, `nobody-${Date.now()}@blocked.example`]) {
      for (const call of [
        () => callerFor(db()).caller.auth.signIn({ email, password: PASSWORD }),
        () => callerFor(db()).caller.auth.signIn({ email, password: "a wrong password, surely" }),
        () => callerFor(db(), { mailer }).caller.passwordless.requestCode({ email }),
        () => callerFor(db(), { mailer }).caller.passwordless.requestLink({ email }),
        () => callerFor(db()).caller.passwordless.verifyCode({ email, code: "123456" }),
      ]) {
        const error = await errorOf(call());
        answers.push(JSON.stringify({ code: error.code, reason: error.reason, message: error.message }));
      }
    }
    expect(new Set(answers)).toEqual(
      new Set([JSON.stringify({ code: "FORBIDDEN", reason: "SIGN_IN_ADDRESS_NOT_ALLOWED", message: "This email address can't be used to sign in here." })]),
    );
    expect(sent).toEqual([]);
    // A wrong password on a blocked address isn't counted toward the lockout: the password was never checked.
    expect(await db().query(`select 1 from rate_limit_buckets where key like '%${user.userId}%'`)).toEqual([]);
    await set({ blocklist: [] });
    expect(await callerFor(db()).caller.auth.signIn({ email: user.email, password: PASSWORD })).toMatchObject({ status: "complete" });
  });

  it("lets only allowlisted addresses and domains sign in while the allowlist has entries", async () => {
    const inside = await signUp(db(), `in-${Date.now()}@team.example`);
    const named = await signUp(db());
    const outside = await signUp(db());
    await set({ allowlist: ["team.example", named.email] });
    expect(await callerFor(db()).caller.auth.signIn({ email: inside.email, password: PASSWORD })).toMatchObject({ status: "complete" });
    expect(await callerFor(db()).caller.auth.signIn({ email: named.email, password: PASSWORD })).toMatchObject({ status: "complete" });
    expect((await errorOf(callerFor(db()).caller.auth.signIn({ email: outside.email, password: PASSWORD }))).reason).toBe("SIGN_IN_ADDRESS_NOT_ALLOWED");
  });

  it("refuses a passkey sign-in to an account whose primary address is blocked (checked once the passkey proved who it is)", async () => {
    const user = await signUp(db(), `pk-${Date.now()}@blocked.example`);
    const authenticator = createSoftAuthenticator({ origin: APP_URL });
    const own = callerFor(db(), { token: user.token }).caller;
    const registration = await own.passkey.registrationOptions();
    await own.passkey.register({ challengeId: registration.challengeId, response: authenticator.register(registration.options) });
    await set({ blocklist: ["blocked.example"] });
    const anonymous = callerFor(db());
    const options = await anonymous.caller.passkey.authenticationOptions();
    const error = await errorOf(anonymous.caller.passkey.signIn({ challengeId: options.challengeId, response: authenticator.authenticate(options.options) }));
    expect(error).toMatchObject({ code: "FORBIDDEN", reason: "SIGN_IN_ADDRESS_NOT_ALLOWED" });
    expect(tokenFrom(anonymous.resHeaders)).toBeNull();
    const [audit] = await db().query<{ details: Record<string, unknown> }>(
      `select details from audit_events where action = 'session.sign_in' and outcome = 'failure' and actor_user_id = '${user.userId}' order by occurred_at desc, id desc limit 1`,
    );
    expect(audit!.details).toMatchObject({ method: "passkey", reason: "blocklisted" });
  });
});

describe("minimum password length for new passwords", () => {
  it("applies to a password change at once, naming newPassword", async () => {
    const user = await signUp(db());
    await set({ minPasswordLength: 20 });
    const api = callerFor(db(), { token: user.token }).caller;
    const error = await errorOf(api.user.changePassword({ currentPassword: PASSWORD, newPassword: "seventeen chars!!" }));
    expect(error).toMatchObject({ code: "BAD_REQUEST", reason: "PASSWORD_TOO_SHORT", field: "newPassword" });
    expect(error.message).toContain("at least 20");
    await api.user.changePassword({ currentPassword: PASSWORD, newPassword: "twenty-one characters" });
    // Existing passwords keep working: the rule is for new ones.
    await set({ minPasswordLength: 40 });
    expect(await callerFor(db()).caller.auth.signIn({ email: user.email, password: "twenty-one characters" })).toMatchObject({ status: "complete" });
  });

  it("applies to a password reset, and the link stays usable after a refused password", async () => {
    const user = await signUp(db());
    const { mailer, tokenOf } = capture();
    await callerFor(db(), { mailer }).caller.passwordReset.request({ email: user.email });
    await set({ minPasswordLength: 16 });
    const error = await errorOf(callerFor(db()).caller.passwordReset.confirm({ token: tokenOf("password-reset"), password: "fifteen chars!!" }));
    expect(error).toMatchObject({ code: "BAD_REQUEST", reason: "PASSWORD_TOO_SHORT", field: "password" });
    expect(await callerFor(db()).caller.passwordReset.confirm({ token: tokenOf("password-reset"), password: "sixteen chars!!!" })).toEqual({ reset: true });
  });
});

describe("session lifetimes, applied on the next request", () => {
  async function backdate(token: string, minutes: number) {
    const sessionId = token.split(".")[0]!;
    await db().query(`update sessions set created_at = now() - interval '${minutes} minutes', last_active_at = now() where id = '${sessionId}'`);
  }

  it("signs an older session out on its next request once the absolute lifetime is lowered, and raising it works", async () => {
    const older = await signUp(db());
    const other = await signUp(db());
    await backdate(older.token, 90);
    await backdate(other.token, 90);
    expect((await callerFor(db(), { token: older.token }).caller.user.me()).id).toBe(older.userId);

    await set({ sessionIdleMinutes: 30, sessionLifetimeMinutes: 60 });
    expect((await errorOf(callerFor(db(), { token: older.token }).caller.user.me())).code).toBe("UNAUTHORIZED");

    await set({ sessionLifetimeMinutes: 180 });
    expect((await callerFor(db(), { token: other.token }).caller.user.me()).id).toBe(other.userId);
  });

  it("gives a new session the configured expiries", async () => {
    const user = await signUp(db());
    await set({ sessionIdleMinutes: 30, sessionLifetimeMinutes: 120 });
    const { caller, resHeaders } = callerFor(db());
    const before = Date.now();
    await caller.auth.signIn({ email: user.email, password: PASSWORD });
    const token = tokenFrom(resHeaders)!;
    const [row] = await db().query<{ expires_at: string | Date; idle_expires_at: string | Date }>(
      `select expires_at, idle_expires_at from sessions where id = '${token.split(".")[0]}'`,
    );
    const expires = new Date(row!.expires_at).getTime() - before;
    const idle = new Date(row!.idle_expires_at).getTime() - before;
    expect(expires).toBeGreaterThan(119 * 60_000);
    expect(expires).toBeLessThan(121 * 60_000);
    expect(idle).toBeGreaterThan(29 * 60_000);
    expect(idle).toBeLessThan(31 * 60_000);
  });
});
