/**
 * Custom OAuth 2.0 providers (issue 18) against a stand-in provider on 127.0.0.1: sign-up, sign-in, linking, and the
 * linking rules (an unverified address is never linked automatically), with PKCE on by default.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestDb } from "@latchkey/db/testing";
import { encryptSecret, type CustomOAuthProviderEnv } from "@latchkey/auth";
import { callerFor, countRows, errorOf, signUp, tokenFrom, uniqueEmail, type CallerOptions } from "../test/helpers.ts";
import { startStandInOAuthServer, type StandInOAuthServer, type StandInUser } from "../test/oauth2-server.ts";
import { configuredProviders, finishOAuth, startOAuth, type ConfiguredProvider } from "./oauth-flow.ts";
import { getProviderToken } from "./provider-tokens.ts";

const db = useTestDb();
let server: StandInOAuthServer;
let providers: ConfiguredProvider[];

function definition(id: string, overrides: Partial<CustomOAuthProviderEnv> = {}): CustomOAuthProviderEnv {
  return {
    id,
    name: id === "acme" ? "Acme ID" : `Plain ${id}`,
    iconUrl: "https://acme.example/icon.svg",
    authorizeUrl: `${server.origin}/authorize`,
    tokenUrl: `${server.origin}/token`,
    userinfoUrl: `${server.origin}/userinfo`,
    clientId: server.clientId,
    clientSecret: server.clientSecret,
    scopes: ["profile", "email"],
    pkce: true,
    mapping: { id: "data.uid", email: "data.contact.mail", emailVerified: "data.contact.confirmed", firstName: "data.given", lastName: "data.family" },
    ...overrides,
  };
}

beforeAll(async () => {
  server = await startStandInOAuthServer();
  providers = configuredProviders({
    custom: [definition("acme"), definition("nopkce", { pkce: false }), definition("noid", { mapping: { id: "data.missing", email: "data.contact.mail" } })],
  });
});

afterAll(async () => {
  await server?.stop();
});

let uid = 1000;
const person = (mail: string, confirmed = true): StandInUser => ({ uid: ++uid, mail, confirmed, given: "Grace", family: "Hopper" });

/** Start, the stand-in's answer, the callback: as the browser would go through them. */
async function signInAs(user: StandInUser, options: CallerOptions & { provider?: string; intent?: "sign_in" | "link" } = {}) {
  server.setUser(user);
  const provider = options.provider ?? "acme";
  const started = callerFor(db(), options);
  const { url } = await startOAuth(started.ctx, providers, { provider, intent: options.intent ?? "sign_in", redirectUrl: "/welcome" });
  const cookie = started.resHeaders.getSetCookie().find((value) => value.startsWith("latchkey_oauth="))!.split(";")[0]!;
  const back = await fetch(url, { redirect: "manual" });
  const callback = new URL(back.headers.get("location")!);
  const finished = callerFor(db(), options.token ? { token: options.token } : {});
  const outcome = await finishOAuth(finished.ctx, providers, { provider, params: callback.searchParams, cookieHeader: cookie });
  return { outcome, token: tokenFrom(finished.resHeaders), callback };
}

describe("custom OAuth 2.0 providers", () => {
  it("are listed as buttons with their name and icon, never their secret", () => {
    const acme = providers.find((provider) => provider.id === "acme");
    expect(acme).toMatchObject({ label: "Acme ID", iconUrl: "https://acme.example/icon.svg" });
    expect(JSON.stringify(providers.map(({ id, label, iconUrl }) => ({ id, label, iconUrl })))).not.toContain(server.clientSecret);
  });

  it("signs a new user up from a verified address read through the mapping, with PKCE S256 and the scopes sent", async () => {
    const email = uniqueEmail("custom");
    const { outcome, token } = await signInAs(person(email));
    expect(outcome).toMatchObject({ status: "signed_in", created: true, redirectUrl: "/welcome" });
    expect(token).toBeTruthy();
    const sent = server.lastAuthorization()!;
    expect(sent.get("code_challenge_method")).toBe("S256");
    expect(sent.get("scope")).toBe("profile email");
    const [identity] = await db().query<{ provider: string; provider_user_id: string; email: string; access_token: string; first_name: string }>(
      `select provider, provider_user_id, email, access_token, first_name from oauth_accounts where user_id = '${outcome.userId}'`,
    );
    expect(identity).toMatchObject({ provider: "acme", provider_user_id: String(uid), email, first_name: "Grace" });
    // The provider's access token is stored encrypted (ADR 007), not as sent.
    expect(identity!.access_token.startsWith("v1.")).toBe(true);
  });

  it("signs the same identity in again as the same user", async () => {
    const user = person(uniqueEmail("again"));
    const first = await signInAs(user);
    const second = await signInAs(user);
    expect(second.outcome).toMatchObject({ status: "signed_in", created: false, userId: first.outcome.userId });
  });

  it("links to a signed-in user who asks for it", async () => {
    const owner = await signUp(db());
    const { outcome } = await signInAs(person(uniqueEmail("elsewhere"), false), { token: owner.token, intent: "link" });
    expect(outcome).toMatchObject({ status: "linked", userId: owner.userId });
    expect(await db().query(`select id from oauth_accounts where user_id = '${owner.userId}' and provider = 'acme'`)).toHaveLength(1);
  });

  it("links automatically to an existing verified account only when the provider verified the address too", async () => {
    const existing = await signUp(db());
    const refused = await errorOf(signInAs(person(existing.email, false)));
    expect(refused.reason).toBe("OAUTH_SIGN_IN_FIRST");
    expect(await db().query(`select id from oauth_accounts where user_id = '${existing.userId}'`)).toHaveLength(0);
    const { outcome } = await signInAs(person(existing.email, true));
    expect(outcome).toMatchObject({ status: "signed_in", userId: existing.userId, created: false });
  });

  it("makes no account from an unverified address", async () => {
    const users = await countRows(db(), "users");
    const error = await errorOf(signInAs(person(uniqueEmail("unverified"), false)));
    expect(error.reason).toBe("OAUTH_EMAIL_UNVERIFIED");
    expect(await countRows(db(), "users")).toBe(users);
  });

  it("works without PKCE when the operator turned it off for a provider", async () => {
    const { outcome } = await signInAs(person(uniqueEmail("nopkce")), { provider: "nopkce" });
    expect(outcome.status).toBe("signed_in");
    expect(server.lastAuthorization()!.get("code_challenge")).toBeNull();
  });

  it("refuses a profile without the mapped id, with nothing written", async () => {
    const users = await countRows(db(), "users");
    const error = await errorOf(signInAs(person(uniqueEmail("noid")), { provider: "noid" }));
    expect(error.reason).toBe("OAUTH_PROVIDER_ERROR");
    expect(await countRows(db(), "users")).toBe(users);
  });

  it("hands server code the user's access token, refreshing it at the provider once it has expired", async () => {
    const { outcome } = await signInAs(person(uniqueEmail("token")));
    const { ctx } = callerFor(db());
    const current = await getProviderToken(ctx, providers, outcome.userId, "acme");
    expect(current).toMatchObject({ refreshed: false });
    expect(server.knowsAccessToken(current!.accessToken)).toBe(true);
    await db().query(`update oauth_accounts set expires_at = now() - interval '1 minute' where user_id = '${outcome.userId}'`);
    const refreshed = await getProviderToken(ctx, providers, outcome.userId, "acme");
    expect(refreshed).toMatchObject({ refreshed: true });
    expect(refreshed!.accessToken).not.toBe(current!.accessToken);
    expect(server.knowsAccessToken(refreshed!.accessToken)).toBe(true);
    expect(refreshed!.expiresAt!.getTime()).toBeGreaterThan(Date.now());
    // Stored encrypted, and used as is until it expires again.
    const [row] = await db().query<{ access_token: string }>(`select access_token from oauth_accounts where user_id = '${outcome.userId}'`);
    expect(row!.access_token).not.toContain(refreshed!.accessToken);
    expect(await getProviderToken(ctx, providers, outcome.userId, "acme")).toMatchObject({ refreshed: false, accessToken: refreshed!.accessToken });
  });

  it("gives no token for a provider the user has not connected, or when the provider refuses the refresh", async () => {
    const { outcome } = await signInAs(person(uniqueEmail("revoked")));
    const { ctx } = callerFor(db());
    expect(await getProviderToken(ctx, providers, outcome.userId, "github")).toBeNull();
    // A refresh token the provider no longer knows (revoked there): no token, and no error for the caller.
    const [account] = await db().query<{ id: string }>(`select id from oauth_accounts where user_id = '${outcome.userId}'`);
    const revoked = encryptSecret(ctx.keyring, "revoked-at-the-provider", `oauth:${account!.id}`);
    await db().query(`update oauth_accounts set refresh_token = '${revoked}', expires_at = now() - interval '1 minute' where id = '${account!.id}'`);
    expect(await getProviderToken(ctx, providers, outcome.userId, "acme")).toBeNull();
  });
});
