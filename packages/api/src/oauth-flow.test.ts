import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestDb } from "@latchkey/db/testing";
import { createId } from "@latchkey/db";
import { encryptSecret, socialProviders, totpCodeAt, totpStepAt } from "@latchkey/auth";
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { createHash } from "node:crypto";
import { APP_URL, callerFor, countRows, createOrgWithMember, errorOf, signUp, tokenFrom, uniqueEmail, type CallerOptions } from "../test/helpers.ts";
import { authorizeAtIdp, startIdp, type TestIdp } from "../test/idp.ts";
import { configuredProviders, findSsoConnectionForEmail, finishOAuth, startOAuth, type ConfiguredProvider } from "./oauth-flow.ts";
import { getInstanceSettings, updateInstanceSettings } from "./instance-settings.ts";
import { createInstanceInvitation } from "./instance-invitations.ts";

const db = useTestDb();
let idp: TestIdp;
let providers: ConfiguredProvider[];

beforeAll(async () => {
  idp = await startIdp({
    redirectUris: ["oidc", "sso", "google"].map((segment) => `${APP_URL}/sign-in/oauth/${segment}/callback`),
  });
  // The generic OpenID provider, and Google's provider definition with its endpoints pointed at the local IdP.
  const google = socialProviders({ google: { clientId: idp.clientId, clientSecret: idp.clientSecret } })[0]!;
  providers = [
    ...configuredProviders({ oidc: { issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret, label: "Dev IdP" } }),
    {
      id: "google",
      label: "Google",
      resolve: async () => ({
        ...google,
        authorizationEndpoint: `${idp.issuer}/auth`,
        tokenEndpoint: `${idp.issuer}/token`,
        userinfoEndpoint: `${idp.issuer}/me`,
        openid: { issuer: idp.issuer, jwksUri: `${idp.issuer}/jwks` },
      }),
    },
  ];
});

afterAll(async () => {
  await idp?.stop();
});

function stateCookieOf(headers: Headers): string {
  const cookie = headers.getSetCookie().find((value) => value.startsWith("latchkey_oauth="));
  if (!cookie) throw new Error("no state cookie");
  return cookie.split(";")[0]!;
}

interface Started {
  url: string;
  cookie: string;
  state: string;
}

async function start(provider = "oidc", options: CallerOptions & { intent?: "sign_in" | "link"; redirectUrl?: string; loginHint?: string } = {}): Promise<Started> {
  const { ctx, resHeaders } = callerFor(db(), options);
  const { url } = await startOAuth(ctx, providers, { provider, intent: options.intent ?? "sign_in", redirectUrl: options.redirectUrl ?? null, loginHint: options.loginHint ?? null });
  return { url, cookie: stateCookieOf(resHeaders), state: new URL(url).searchParams.get("state")! };
}

async function finish(segment: string, params: URLSearchParams, cookie: string | null, options: CallerOptions = {}) {
  const { ctx, resHeaders } = callerFor(db(), options);
  const outcome = await finishOAuth(ctx, providers, { provider: segment, params, cookieHeader: cookie });
  return { outcome, token: tokenFrom(resHeaders), resHeaders };
}

/** The whole round trip: start, the IdP's login screen, the callback. */
async function signInAs(login: string, options: CallerOptions & { provider?: string; intent?: "sign_in" | "link"; redirectUrl?: string; segment?: string } = {}) {
  const started = await start(options.provider ?? "oidc", options);
  const back = await authorizeAtIdp(started.url, login);
  return finish(options.segment ?? options.provider ?? "oidc", back.searchParams, started.cookie, options.token ? { token: options.token } : {});
}

async function lastAudit(action: string) {
  const rows = await db().query<{ outcome: string; details: Record<string, unknown>; actor_user_id: string | null }>(
    `select outcome, details, actor_user_id from audit_events where action = '${action}' order by occurred_at desc, id desc limit 1`,
  );
  return rows[0];
}

async function identitiesOf(userId: string) {
  return db().query<{ provider: string; provider_user_id: string; access_token: string | null; email: string | null }>(
    `select provider, provider_user_id, access_token, email from oauth_accounts where user_id = '${userId}'`,
  );
}

describe("the OpenID round trip", () => {
  it("signs up a new user with a verified primary address, stores the identity with encrypted tokens, and starts a session", async () => {
    const email = uniqueEmail("newcomer");
    const { outcome, token } = await signInAs(email);
    expect(outcome.status).toBe("signed_in");
    expect(outcome).toMatchObject({ created: true, redirectUrl: "/" });
    expect(token).toBeTruthy();
    const [address] = await db().query<{ email: string; is_primary: boolean; verified_at: Date | null }>(
      `select email, is_primary, verified_at from email_addresses where user_id = '${outcome.userId}'`,
    );
    expect(address).toMatchObject({ email, is_primary: true });
    expect(address!.verified_at).not.toBeNull();
    const [identity] = await identitiesOf(outcome.userId);
    expect(identity).toMatchObject({ provider: "oidc", provider_user_id: email, email });
    expect(identity!.access_token).toBeTruthy();
    expect(identity!.access_token).not.toMatch(/^[A-Za-z0-9_-]{20,}$/); // sealed, not the bearer token itself
    expect((await lastAudit("user.signed_up"))?.details).toMatchObject({ method: "oauth", provider: "oidc" });
    const me = await callerFor(db(), { token }).caller.auth.session();
    expect(me?.userId).toBe(outcome.userId);
  });

  it("signs the same identity in again without making another user", async () => {
    const email = uniqueEmail("returning");
    const first = await signInAs(email);
    const users = await countRows(db(), "users");
    const second = await signInAs(email);
    expect(second.outcome).toMatchObject({ status: "signed_in", userId: first.outcome.userId, created: false });
    expect(await countRows(db(), "users")).toBe(users);
    expect((await lastAudit("session.sign_in"))?.details).toMatchObject({ method: "oauth" });
  });

  it("runs Google's provider definition (ID token, claims) against the local IdP", async () => {
    const email = uniqueEmail("googler");
    const { outcome } = await signInAs(email, { provider: "google" });
    expect(outcome.status).toBe("signed_in");
    expect((await identitiesOf(outcome.userId))[0]?.provider).toBe("google");
  });

  it("sends PKCE S256, a nonce and a 256-bit state, and sets an HttpOnly SameSite=Lax cookie for 10 minutes", async () => {
    const { ctx, resHeaders } = callerFor(db());
    const { url } = await startOAuth(ctx, providers, { provider: "oidc", intent: "sign_in" });
    const params = new URL(url).searchParams;
    expect(params.get("code_challenge_method")).toBe("S256");
    expect(params.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get("nonce")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get("state")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const cookie = resHeaders.getSetCookie().find((value) => value.startsWith("latchkey_oauth="))!;
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Lax");
    expect(cookie).toContain("Max-Age=600");
  });

  it("refuses an unknown provider", async () => {
    const { ctx } = callerFor(db());
    expect((await errorOf(startOAuth(ctx, providers, { provider: "myspace", intent: "sign_in" }))).reason).toBe("OAUTH_UNKNOWN_PROVIDER");
  });
});

describe("state attacks", () => {
  it("refuses a callback without a state, and audits it", async () => {
    const started = await start();
    const back = await authorizeAtIdp(started.url, uniqueEmail());
    back.searchParams.delete("state");
    const error = await errorOf(finish("oidc", back.searchParams, started.cookie));
    expect(error).toMatchObject({ code: "BAD_REQUEST", reason: "OAUTH_STATE_INVALID" });
    expect((await lastAudit("oauth.callback"))).toMatchObject({ outcome: "failure", details: { why: "state_missing" } });
  });

  it("refuses a callback without the state cookie (a link planted in someone else's browser)", async () => {
    const started = await start();
    const back = await authorizeAtIdp(started.url, uniqueEmail());
    expect((await errorOf(finish("oidc", back.searchParams, null))).reason).toBe("OAUTH_STATE_INVALID");
  });

  it("refuses a wrong state", async () => {
    const started = await start();
    const other = await start();
    const back = await authorizeAtIdp(started.url, uniqueEmail());
    const users = await countRows(db(), "users");
    expect((await errorOf(finish("oidc", back.searchParams, other.cookie))).reason).toBe("OAUTH_STATE_INVALID");
    expect((await lastAudit("oauth.callback"))?.details).toMatchObject({ why: "state_mismatch" });
    expect(await countRows(db(), "users")).toBe(users);
  });

  it("refuses a replayed state: it works once", async () => {
    const started = await start();
    const back = await authorizeAtIdp(started.url, uniqueEmail());
    await finish("oidc", back.searchParams, started.cookie);
    expect((await errorOf(finish("oidc", back.searchParams, started.cookie))).reason).toBe("OAUTH_STATE_INVALID");
    expect((await lastAudit("oauth.callback"))?.details).toMatchObject({ why: "state_unknown_or_used" });
  });

  it("lets exactly one of two racing callbacks with the same state through", async () => {
    const started = await start();
    const back = await authorizeAtIdp(started.url, uniqueEmail("racer"));
    const results = await Promise.allSettled([
      finish("oidc", back.searchParams, started.cookie),
      finish("oidc", back.searchParams, started.cookie),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const rejected = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(rejected.reason.reason).toBe("OAUTH_STATE_INVALID");
  });

  it("refuses a state made for another provider", async () => {
    const started = await start("oidc");
    const back = await authorizeAtIdp(started.url, uniqueEmail());
    expect((await errorOf(finish("google", back.searchParams, started.cookie))).reason).toBe("OAUTH_STATE_INVALID");
    expect((await lastAudit("oauth.callback"))?.details).toMatchObject({ why: "state_other_provider" });
  });

  it("refuses a state older than 10 minutes", async () => {
    const started = await start();
    const back = await authorizeAtIdp(started.url, uniqueEmail());
    const later = new Date(Date.now() + 11 * 60_000);
    expect((await errorOf(finish("oidc", back.searchParams, started.cookie, { now: () => later }))).reason).toBe("OAUTH_STATE_INVALID");
  });

  it("refuses cleanly when the PKCE verifier is wrong (the IdP rejects the code)", async () => {
    const started = await start();
    const stateHash = createHash("sha256").update(started.state).digest("hex");
    const { ctx } = callerFor(db());
    const forged = encryptSecret(ctx.keyring, "a".repeat(43), `oauth-state:${stateHash}`);
    await db().query(`update oauth_states set code_verifier = '${forged}' where state_hash = '${stateHash}'`);
    const back = await authorizeAtIdp(started.url, uniqueEmail());
    const users = await countRows(db(), "users");
    const error = await errorOf(finish("oidc", back.searchParams, started.cookie));
    expect(error).toMatchObject({ code: "FORBIDDEN", reason: "OAUTH_PROVIDER_ERROR" });
    expect(error.message).toContain("invalid_grant");
    expect(await countRows(db(), "users")).toBe(users);
  });

  it("refuses when the provider answers with an error (the user cancelled)", async () => {
    const started = await start();
    const params = new URLSearchParams({ state: started.state, error: "access_denied" });
    expect((await errorOf(finish("oidc", params, started.cookie))).reason).toBe("OAUTH_PROVIDER_ERROR");
  });

  it("honours only same-origin relative redirect_urls", async () => {
    for (const [asked, expected] of [
      ["/org/acme?tab=1", "/org/acme?tab=1"],
      ["https://evil.example/steal", "/"],
      ["//evil.example", "/"],
      ["/\\evil.example", "/"],
    ] as const) {
      const { outcome } = await signInAs(uniqueEmail("redirect"), { redirectUrl: asked });
      expect(outcome.redirectUrl, asked).toBe(expected);
    }
  });
});

describe("linking to existing accounts", () => {
  it("links automatically when the provider and the local account both verified the address", async () => {
    const local = await signUp(db());
    const { outcome } = await signInAs(local.email);
    expect(outcome).toMatchObject({ status: "signed_in", userId: local.userId, created: false });
    expect(await identitiesOf(local.userId)).toHaveLength(1);
    expect((await lastAudit("oauth.account_linked"))?.details).toMatchObject({ automatic: true });
  });

  it("does not hand the victim's identity to an attacker's unverified pre-registration", async () => {
    const victim = uniqueEmail("victim");
    const attacker = createId("user");
    await db().query(`insert into users (id, first_name) values ('${attacker}', 'Mallory')`);
    await db().query(`insert into email_addresses (id, user_id, email, is_primary) values ('${createId("email")}', '${attacker}', '${victim}', true)`);
    const error = await errorOf(signInAs(victim));
    expect(error).toMatchObject({ code: "FORBIDDEN", reason: "OAUTH_SIGN_IN_FIRST" });
    expect(await identitiesOf(attacker)).toHaveLength(0);
    expect(await countRows(db(), `sessions where user_id = '${attacker}'`)).toBe(0);
  });

  it("does not link an address the provider did not verify to an existing account", async () => {
    const local = await signUp(db(), uniqueEmail("unverified-owner"));
    const error = await errorOf(signInAs(`someone-else|${local.email}`));
    expect(error.reason).toBe("OAUTH_SIGN_IN_FIRST");
    expect(await identitiesOf(local.userId)).toHaveLength(0);
  });

  it("makes no account from an address the provider did not verify", async () => {
    const users = await countRows(db(), "users");
    expect((await errorOf(signInAs(uniqueEmail("unverified-new")))).reason).toBe("OAUTH_EMAIL_UNVERIFIED");
    expect(await countRows(db(), "users")).toBe(users);
  });

  it("refuses a banned user like password sign-in does", async () => {
    const email = uniqueEmail("banned");
    const { outcome } = await signInAs(email);
    await db().query(`update users set banned_at = now() where id = '${outcome.userId}'`);
    expect((await errorOf(signInAs(email))).reason).toBe("OAUTH_ACCOUNT_UNAVAILABLE");
  });
});

describe("connected accounts", () => {
  it("links a provider to the signed-in user through the same flow, and lists it without tokens", async () => {
    const user = await signUp(db());
    const { outcome } = await signInAs(`linked-${user.userId}|${uniqueEmail("other-address")}`, { intent: "link", token: user.token });
    expect(outcome).toMatchObject({ status: "linked", userId: user.userId, redirectUrl: "/user/connected-accounts" });
    const list = await callerFor(db(), { token: user.token }).caller.oauth.connectedAccounts();
    expect(list).toHaveLength(1);
    expect(Object.keys(list[0]!)).not.toEqual(expect.arrayContaining(["accessToken"]));
    expect(JSON.stringify(list)).not.toMatch(/token/i);
  });

  it("needs a session to start linking", async () => {
    const { ctx } = callerFor(db());
    expect((await errorOf(startOAuth(ctx, providers, { provider: "oidc", intent: "link" }))).code).toBe("UNAUTHORIZED");
  });

  it("refuses to link an identity already linked to another user", async () => {
    const owner = uniqueEmail("owner");
    const first = await signInAs(owner);
    const intruder = await signUp(db());
    const error = await errorOf(signInAs(owner, { intent: "link", token: intruder.token }));
    expect(error.reason).toBe("OAUTH_ACCOUNT_LINKED_ELSEWHERE");
    expect(await identitiesOf(intruder.userId)).toHaveLength(0);
    expect(await identitiesOf(first.outcome.userId)).toHaveLength(1);
  });

  it("refuses to finish a link in a session other than the one that started it", async () => {
    const user = await signUp(db());
    const other = await signUp(db());
    const started = await start("oidc", { intent: "link", token: user.token });
    const back = await authorizeAtIdp(started.url, uniqueEmail("switched"));
    expect((await errorOf(finish("oidc", back.searchParams, started.cookie, { token: other.token }))).reason).toBe("OAUTH_STATE_INVALID");
  });

  it("never unlinks the last way to sign in, and unlinks once there is another", async () => {
    const email = uniqueEmail("only-oauth");
    const { outcome, token } = await signInAs(email);
    const me = () => callerFor(db(), { token }).caller;
    const [identity] = await me().oauth.connectedAccounts();
    expect(await errorOf(me().oauth.unlink({ id: identity!.id }))).toMatchObject({ code: "CONFLICT", reason: "OAUTH_LAST_SIGN_IN_METHOD" });
    expect((await lastAudit("oauth.account_unlinked"))?.outcome).toBe("denied");
    await signInAs(`second-${outcome.userId}|${uniqueEmail("second")}`, { intent: "link", token: token! });
    expect(await me().oauth.unlink({ id: identity!.id })).toMatchObject({ id: identity!.id, provider: "oidc" });
    expect(await me().oauth.connectedAccounts()).toHaveLength(1);
    expect((await lastAudit("oauth.account_unlinked"))?.outcome).toBe("success");
  });

  it("keeps one identity when a user without a password unlinks two at once", async () => {
    const { outcome, token } = await signInAs(uniqueEmail("double"));
    await signInAs(`again-${outcome.userId}|${uniqueEmail("double-2")}`, { intent: "link", token: token! });
    const me = () => callerFor(db(), { token }).caller;
    const ids = (await me().oauth.connectedAccounts()).map((account) => account.id);
    const results = await Promise.allSettled(ids.map((id) => me().oauth.unlink({ id })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const refused = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(refused.reason.reason).toBe("OAUTH_LAST_SIGN_IN_METHOD");
    expect(await identitiesOf(outcome.userId)).toHaveLength(1);
  });

  it("lets a user with a password unlink their only identity", async () => {
    const user = await signUp(db());
    await signInAs(`pw-${user.userId}|${uniqueEmail("pw")}`, { intent: "link", token: user.token });
    const me = callerFor(db(), { token: user.token }).caller;
    const [identity] = await me.oauth.connectedAccounts();
    await me.oauth.unlink({ id: identity!.id });
    expect(await identitiesOf(user.userId)).toHaveLength(0);
  });

  it("can't unlink someone else's identity, and names the field for a bad id", async () => {
    const { outcome } = await signInAs(uniqueEmail("theirs"));
    const [theirs] = await db().query<{ id: string }>(`select id from oauth_accounts where user_id = '${outcome.userId}'`);
    const stranger = await signUp(db());
    const me = callerFor(db(), { token: stranger.token }).caller;
    expect((await errorOf(me.oauth.unlink({ id: theirs!.id }))).code).toBe("NOT_FOUND");
    const bad = await errorOf(me.oauth.unlink({ id: "nope" }));
    expect(bad).toMatchObject({ code: "BAD_REQUEST" });
    expect(bad.message).toContain("id");
    expect(await identitiesOf(outcome.userId)).toHaveLength(1);
    expect((await errorOf(callerFor(db()).caller.oauth.connectedAccounts())).code).toBe("UNAUTHORIZED");
  });
});

describe("enterprise SSO", () => {
  async function orgWithVerifiedDomain() {
    const world = await createOrgWithMember(db(), "Sso");
    const domain = `corp-${Math.random().toString(36).slice(2, 9)}.test`;
    await db().query(
      `insert into organization_domains (id, organization_id, domain, verified_at) values ('${createId("domain")}', '${world.org.id}', '${domain}', now())`,
    );
    const admin = () => callerFor(db(), { token: world.admin.token, orgSlug: world.org.slug }).caller;
    return { ...world, adminUser: world.admin, domain, admin };
  }

  it("lets an admin save a connection after checking discovery, never returning the secret", async () => {
    const world = await orgWithVerifiedDomain();
    const saved = await world.admin().oauth.saveSsoConnection({ issuer: `${idp.issuer}/`, clientId: idp.clientId, clientSecret: idp.clientSecret });
    expect(saved.issuer).toBe(idp.issuer);
    const read = await world.admin().oauth.ssoConnection();
    expect(read.connection).toMatchObject({ issuer: idp.issuer, clientId: idp.clientId, enabled: true });
    expect(read.redirectUri).toBe(`${APP_URL}/sign-in/oauth/sso/callback`);
    expect(read.verifiedDomains).toEqual([world.domain]);
    expect(JSON.stringify(read)).not.toContain(idp.clientSecret);
    const [row] = await db().query<{ client_secret: string }>(`select client_secret from sso_connections where id = '${saved.id}'`);
    expect(row!.client_secret).not.toContain(idp.clientSecret);
    expect((await lastAudit("sso_connection.created"))?.outcome).toBe("success");
  });

  it("refuses an issuer without a discovery document, or not https, naming the field and saving nothing", async () => {
    const world = await orgWithVerifiedDomain();
    const before = await countRows(db(), "sso_connections");
    const missing = await errorOf(world.admin().oauth.saveSsoConnection({ issuer: `${idp.issuer}/nowhere`, clientId: "x", clientSecret: "y" }));
    expect(missing).toMatchObject({ code: "BAD_REQUEST", reason: "SSO_DISCOVERY_FAILED", field: "issuer" });
    const plain = await errorOf(world.admin().oauth.saveSsoConnection({ issuer: "http://idp.example.com", clientId: "x", clientSecret: "y" }));
    expect(plain.code).toBe("BAD_REQUEST");
    expect(plain.message).toContain("issuer");
    const noSecret = await errorOf(world.admin().oauth.saveSsoConnection({ issuer: idp.issuer, clientId: "x" }));
    expect(noSecret).toMatchObject({ reason: "SSO_SECRET_REQUIRED", field: "clientSecret" });
    expect(await countRows(db(), "sso_connections")).toBe(before);
  });

  it("is closed to members without the right and to other organizations", async () => {
    const world = await orgWithVerifiedDomain();
    const member = callerFor(db(), { token: world.member.token, orgSlug: world.org.slug }).caller;
    expect((await errorOf(member.oauth.ssoConnection())).code).toBe("FORBIDDEN");
    expect((await errorOf(member.oauth.saveSsoConnection({ issuer: idp.issuer, clientId: "x", clientSecret: "y" }))).code).toBe("FORBIDDEN");
    const other = await orgWithVerifiedDomain();
    const foreign = callerFor(db(), { token: other.adminUser.token, orgSlug: world.org.slug }).caller;
    const foreignError = await errorOf(foreign.oauth.removeSsoConnection());
    expect(foreignError.code, foreignError.message).toBe("FORBIDDEN");
    expect((await errorOf(callerFor(db()).caller.oauth.ssoConnection())).code).toBe("UNAUTHORIZED");
  });

  it("routes an address at a verified domain to the IdP, and the user joins the organization as a member", async () => {
    const world = await orgWithVerifiedDomain();
    const saved = await world.admin().oauth.saveSsoConnection({ issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret });
    const email = `jane-${Math.random().toString(36).slice(2, 7)}@${world.domain}`;
    expect(await findSsoConnectionForEmail(db().db, email.toUpperCase())).toMatchObject({ connectionId: saved.id, organizationId: world.org.id });
    expect(await findSsoConnectionForEmail(db().db, uniqueEmail())).toBeNull();
    const { outcome, token } = await signInAs(email, { provider: saved.id, segment: "sso" });
    expect(outcome.status).toBe("signed_in");
    const [membership] = await db().query<{ role_keys: string[] }>(
      `select role_keys from memberships where organization_id = '${world.org.id}' and user_id = '${outcome.userId}'`,
    );
    expect(membership?.role_keys).toEqual(["org:member"]);
    const session = await callerFor(db(), { token }).caller.auth.session();
    expect(session?.organization?.id).toBe(world.org.id);
    expect((await identitiesOf(outcome.userId))[0]?.provider).toBe(saved.id);
    // Disabled: no routing any more.
    await world.admin().oauth.setSsoEnabled({ enabled: false });
    expect(await findSsoConnectionForEmail(db().db, email)).toBeNull();
  });

  it("makes the organization active once the second factor passes, after an SSO sign-in that needed one", async () => {
    const world = await orgWithVerifiedDomain();
    const saved = await world.admin().oauth.saveSsoConnection({ issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret });
    const email = `two-step-${Math.random().toString(36).slice(2, 7)}@${world.domain}`;
    const first = await signInAs(email, { provider: saved.id, segment: "sso" });
    // A second factor, set up in that first session.
    const started = await callerFor(db(), { token: first.token }).caller.mfa.totp.start();
    const secret = decodeBase32IgnorePadding(started.key.replace(/ /g, ""));
    await callerFor(db(), { token: first.token }).caller.mfa.totp.confirm({ code: totpCodeAt(secret, totpStepAt(new Date())) });

    const again = await signInAs(email, { provider: saved.id, segment: "sso" });
    expect(again.outcome.status).toBe("needs_second_factor");
    const challenge = /latchkey_sign_in=([^;]*)/.exec(again.resHeaders.getSetCookie().join("\n"))?.[1] ?? null;
    // The next TOTP step: the enrolment's code can't be used twice.
    const later = () => new Date(Date.now() + 30_000);
    const step = callerFor(db(), { signInChallengeToken: challenge, now: later });
    await step.caller.signIn.secondFactor({ strategy: "totp", code: totpCodeAt(secret, totpStepAt(later())) });
    const session = await callerFor(db(), { token: tokenFrom(step.resHeaders), now: later }).caller.auth.session();
    expect(session?.user.id).toBe(first.outcome.userId);
    expect(session?.organization?.id).toBe(world.org.id);
  });

  it("never links an SSO identity from the connected-accounts page", async () => {
    const world = await orgWithVerifiedDomain();
    const saved = await world.admin().oauth.saveSsoConnection({ issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret });
    const { ctx } = callerFor(db(), { token: world.member.token });
    expect((await errorOf(startOAuth(ctx, providers, { provider: saved.id, intent: "link" }))).reason).toBe("OAUTH_UNKNOWN_PROVIDER");
  });

  it("refuses an address outside the organization's verified domains from its IdP", async () => {
    const world = await orgWithVerifiedDomain();
    const saved = await world.admin().oauth.saveSsoConnection({ issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret });
    const victim = await signUp(db());
    const error = await errorOf(signInAs(victim.email, { provider: saved.id, segment: "sso" }));
    expect(error.reason).toBe("OAUTH_EMAIL_DOMAIN_MISMATCH");
    expect(await identitiesOf(victim.userId)).toHaveLength(0);
  });

  it("respects the membership limit when joining just in time", async () => {
    const world = await orgWithVerifiedDomain();
    await db().query(`update organizations set max_memberships = 2 where id = '${world.org.id}'`);
    const saved = await world.admin().oauth.saveSsoConnection({ issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret });
    const users = await countRows(db(), "users");
    const error = await errorOf(signInAs(`full-${Date.now()}@${world.domain}`, { provider: saved.id, segment: "sso" }));
    expect(error.reason).toBe("MEMBERSHIP_LIMIT_REACHED");
    expect(await countRows(db(), "users")).toBe(users);
  });

  it("removes a connection", async () => {
    const world = await orgWithVerifiedDomain();
    await world.admin().oauth.saveSsoConnection({ issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret });
    await world.admin().oauth.removeSsoConnection();
    expect((await world.admin().oauth.ssoConnection()).connection).toBeNull();
    expect((await errorOf(world.admin().oauth.setSsoEnabled({ enabled: true }))).code).toBe("NOT_FOUND");
  });
});

// signup: OAuth sign-up respects the sign-up mode and the allow-/blocklists; existing accounts still sign in.
describe("OAuth sign-up under the instance settings", () => {
  async function withSettings(patch: Parameters<typeof updateInstanceSettings>[1], fn: () => Promise<void>) {
    const before = await getInstanceSettings(db().db);
    await updateInstanceSettings(db().db, patch);
    try {
      await fn();
    } finally {
      await updateInstanceSettings(db().db, Object.fromEntries(Object.keys(patch).map((key) => [key, before[key as keyof typeof before]])));
    }
  }

  it("refuses a new account in invite-only mode, lets an existing identity in, and accepts an instance invitation", async () => {
    const known = uniqueEmail("oauth-known");
    expect((await signInAs(known)).outcome.status).toBe("signed_in");
    const stranger = uniqueEmail("oauth-stranger");
    const invited = uniqueEmail("oauth-invited");
    const { invitation } = await createInstanceInvitation(db().db, { email: invited, invitedByUserId: null, now: new Date() });
    await withSettings({ signUpMode: "invite_only" }, async () => {
      const before = await countRows(db(), "users");
      const refused = await errorOf(signInAs(stranger));
      expect(refused).toMatchObject({ code: "FORBIDDEN", reason: "SIGN_UP_RESTRICTED" });
      expect(await countRows(db(), "users")).toBe(before);
      // (Other tests write audit events with clocks in the future, so look for this one by its reason.)
      const audited = await db().query<{ n: number }>(`select count(*)::int as n from audit_events where action = 'oauth.callback' and details->>'why' = 'sign_up_not_allowed'`);
      expect(audited[0]!.n).toBeGreaterThan(0);
      expect((await signInAs(known)).outcome.status).toBe("signed_in");
      const welcomed = await signInAs(invited);
      expect(welcomed.outcome).toMatchObject({ status: "signed_in", created: true });
      const [row] = await db().query<{ accepted_at: Date | null }>(`select accepted_at from instance_invitations where id = '${invitation.id}'`);
      expect(row!.accepted_at).not.toBeNull();
    });
    await withSettings({ signUpMode: "waitlist" }, async () => {
      expect((await errorOf(signInAs(uniqueEmail("oauth-eager")))).reason).toBe("SIGN_UP_WAITLIST");
    });
  });

  it("refuses a new account for a blocklisted address", async () => {
    await withSettings({ blocklist: ["example.test"] }, async () => {
      expect(await errorOf(signInAs(uniqueEmail("oauth-blocked")))).toMatchObject({ code: "FORBIDDEN", reason: "EMAIL_NOT_ALLOWED" });
    });
  });
});
