import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from "jose";
import { createAuthorizationUrl, isAcceptableIssuer, OAuthFlowError, readProfile, socialProviders, verifyIdToken } from "./oauth.ts";

// A test signing key served as a JWKS over real HTTP, as an issuer serves it.
let server: Server;
let jwksUri: string;
let signingKey: CryptoKey;
let strangerKey: CryptoKey;
const ISSUER = "https://idp.example.test";
const CLIENT = "client-123";
const NONCE = "n-0S6_WzA2Mj";
const now = new Date("2026-01-01T12:00:00Z");
const seconds = Math.floor(now.getTime() / 1000);

beforeAll(async () => {
  const pair = await generateKeyPair("RS256");
  signingKey = pair.privateKey;
  strangerKey = (await generateKeyPair("RS256")).privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: "test-key", alg: "RS256", use: "sig" };
  server = createServer((_req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function mint(claims: JWTPayload = {}, options: { key?: CryptoKey; kid?: string } = {}): Promise<string> {
  return new SignJWT({ nonce: NONCE, email: "a@example.test", ...claims })
    .setProtectedHeader({ alg: "RS256", kid: options.kid ?? "test-key" })
    .setIssuer((claims.iss as string) ?? ISSUER)
    .setAudience((claims.aud as string) ?? CLIENT)
    .setSubject("user-1")
    .setIssuedAt(seconds - 10)
    .setExpirationTime((claims.exp as number) ?? seconds + 300)
    .sign(options.key ?? signingKey);
}

const check = () => ({ issuer: ISSUER, audience: CLIENT, nonce: NONCE, now, jwksUri });

async function refusal(token: string, overrides: Partial<ReturnType<typeof check>> = {}): Promise<OAuthFlowError> {
  try {
    await verifyIdToken(token, { ...check(), ...overrides });
  } catch (error) {
    expect(error).toBeInstanceOf(OAuthFlowError);
    return error as OAuthFlowError;
  }
  throw new Error("the ID token was accepted");
}

describe("ID token verification", () => {
  it("accepts a token signed by the issuer's key for this client and nonce", async () => {
    const claims = await verifyIdToken(await mint(), check());
    expect(claims).toMatchObject({ sub: "user-1", email: "a@example.test" });
  });

  it("refuses a token from another issuer", async () => {
    expect((await refusal(await mint({ iss: "https://evil.example.test" }))).message).toContain("iss");
  });

  it("refuses a token for another audience", async () => {
    expect((await refusal(await mint({ aud: "someone-else" }))).message).toContain("aud");
  });

  it("refuses an expired token (beyond one minute of clock tolerance)", async () => {
    expect((await refusal(await mint({ exp: seconds - 120 }))).message).toContain("expired");
  });

  it("refuses a token with a wrong or missing nonce", async () => {
    expect((await refusal(await mint({ nonce: "replayed-nonce" }))).message).toContain("nonce");
    expect((await refusal(await mint({ nonce: undefined }))).reason).toBe("id_token_invalid");
  });

  it("refuses a token signed by a key the issuer does not publish", async () => {
    expect((await refusal(await mint({}, { key: strangerKey }))).message).toContain("signature");
  });

  it("refuses an unsigned token (alg none)", async () => {
    const header = Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url");
    const body = Buffer.from(JSON.stringify({ iss: ISSUER, aud: CLIENT, sub: "x", nonce: NONCE, iat: seconds, exp: seconds + 60 })).toString("base64url");
    expect((await refusal(`${header}.${body}.`)).reason).toBe("id_token_invalid");
  });

  it("fills Entra's {tenantid} issuer from the token's tid", async () => {
    const token = await mint({ iss: "https://login.microsoftonline.com/tenant-9/v2.0", tid: "tenant-9" });
    const claims = await verifyIdToken(token, { ...check(), issuer: "https://login.microsoftonline.com/{tenantid}/v2.0", issuerHasTenantPlaceholder: true });
    expect(claims.tid).toBe("tenant-9");
    const forged = await mint({ iss: "https://login.microsoftonline.com/tenant-1/v2.0", tid: "tenant-9" });
    await refusal(forged, { issuer: "https://login.microsoftonline.com/{tenantid}/v2.0", issuerHasTenantPlaceholder: true } as never);
  });
});

describe("provider definitions", () => {
  it("are built only for providers with credentials", () => {
    expect(socialProviders({}).map((p) => p.id)).toEqual([]);
    const all = socialProviders({
      google: { clientId: "g", clientSecret: "s" },
      github: { clientId: "g", clientSecret: "s" },
      apple: { clientId: "a", teamId: "t", keyId: "k", privateKey: "p" },
      microsoft: { clientId: "m", clientSecret: "s", tenant: "common" },
      discord: { clientId: "d", clientSecret: "s" },
      twitch: { clientId: "t", clientSecret: "s" },
    });
    expect(all.map((p) => p.id)).toEqual(["google", "github", "microsoft", "apple", "discord", "twitch"]);
  });

  it("always ask for PKCE S256, and for a nonce when given one", () => {
    for (const provider of socialProviders({ github: { clientId: "g", clientSecret: "s" }, twitch: { clientId: "t", clientSecret: "s" } })) {
      const url = createAuthorizationUrl(provider, { redirectUri: "https://app.test/cb", state: "st", codeVerifier: "v".repeat(43), nonce: "nn" });
      expect(url.searchParams.get("code_challenge_method")).toBe("S256");
      expect(url.searchParams.get("code_challenge")).toBeTruthy();
      expect(url.searchParams.get("nonce")).toBe("nn");
      expect(url.searchParams.get("redirect_uri")).toBe("https://app.test/cb");
    }
  });
});

describe("issuer URLs", () => {
  it("must be https, or http on a loopback host, without credentials, query or fragment", () => {
    expect(isAcceptableIssuer("https://login.example.com/tenant")).toBe(true);
    expect(isAcceptableIssuer("http://127.0.0.1:4010")).toBe(true);
    expect(isAcceptableIssuer("http://localhost:4010")).toBe(true);
    for (const bad of ["http://idp.example.com", "https://u:p@idp.example.com", "https://idp.example.com/?x=1", "https://idp.example.com/#f", "ftp://idp.example.com", "not a url", "javascript:alert(1)"]) {
      expect(isAcceptableIssuer(bad), bad).toBe(false);
    }
  });
});

describe("profiles from non-OpenID providers (APIs served locally)", () => {
  async function serve(routes: Record<string, unknown>) {
    const api = createServer((req, res) => {
      const body = routes[req.url ?? ""];
      if (req.headers.authorization !== "Bearer tok" || body === undefined) {
        res.statusCode = 401;
        res.end("{}");
        return;
      }
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
    return { base: `http://127.0.0.1:${(api.address() as AddressInfo).port}`, close: () => new Promise<void>((resolve) => api.close(() => resolve())) };
  }
  const tokens = { accessToken: "tok", refreshToken: null, expiresAt: null, scopes: [], idToken: null };

  it("GitHub: the id, and the verified primary address from /user/emails only", async () => {
    const api = await serve({
      "/user": { id: 42, login: "octo", name: "Octo Cat", avatar_url: "https://avatars.example/42" },
      "/user/emails": [
        { email: "Unverified@Example.test", primary: false, verified: false },
        { email: "Octo@Example.test", primary: true, verified: true },
      ],
    });
    const github = { ...socialProviders({ github: { clientId: "g", clientSecret: "s" } })[0]!, apiBase: api.base };
    const profile = await readProfile(github, tokens, null);
    expect(profile).toEqual({ providerUserId: "42", email: "octo@example.test", emailVerified: true, firstName: "Octo", lastName: "Cat", username: "octo", imageUrl: "https://avatars.example/42" });
    await api.close();
  });

  it("GitHub: no verified primary address means no address", async () => {
    const api = await serve({ "/user": { id: 7, login: "x" }, "/user/emails": [{ email: "x@example.test", primary: true, verified: false }] });
    const github = { ...socialProviders({ github: { clientId: "g", clientSecret: "s" } })[0]!, apiBase: api.base };
    expect(await readProfile(github, tokens, null)).toMatchObject({ providerUserId: "7", email: null, emailVerified: false });
    await api.close();
  });

  it("Discord: `verified` decides whether the address is verified; an API refusal is a clean error", async () => {
    const api = await serve({ "/users/@me": { id: "99", username: "disco", global_name: "Disco", email: "d@example.test", verified: false } });
    const discord = { ...socialProviders({ discord: { clientId: "d", clientSecret: "s" } })[0]!, apiBase: api.base };
    expect(await readProfile(discord, tokens, null)).toMatchObject({ providerUserId: "99", email: "d@example.test", emailVerified: false });
    await expect(readProfile(discord, { ...tokens, accessToken: "wrong" }, null)).rejects.toMatchObject({ reason: "profile_unavailable" });
    await api.close();
  });
});
