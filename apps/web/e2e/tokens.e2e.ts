import { describe, expect, test } from "vitest";
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { verifyToken } from "@latchkey/auth/verify-token";
import { baseURL, useBrowser } from "./browser";
import { createOrganization, signUp, uniqueEmail } from "./users";

const browser = useBrowser();

describe("session JWTs", () => {
  test("a signed-in user's token, fetched by the page, verifies against /.well-known/jwks.json", async () => {
    const page = await browser.newPage();
    await signUp(page, uniqueEmail("tokens"));
    const orgPath = await createOrganization(page, `Tokens ${Math.random().toString(36).slice(2, 6)}`);
    const slug = orgPath.split("/")[2]!;

    // What useAuth().getToken() does: a same-origin GET of token.get for the organization of the page.
    const jwt = await page.evaluate(async (orgSlug) => {
      const response = await fetch("/api/trpc/token.get", { headers: { "x-latchkey-org": orgSlug } });
      const body = (await response.json()) as { result: { data: { json: { jwt: string } } } };
      return body.result.data.json.jwt;
    }, slug);
    expect(decodeProtectedHeader(jwt)).toMatchObject({ alg: "EdDSA", typ: "JWT" });

    const jwks = createRemoteJWKSet(new URL(`${baseURL}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(jwt, jwks, { issuer: baseURL, algorithms: ["EdDSA", "RS256"] });
    expect(payload.sub).toMatch(/^user_/);
    expect(payload.sid).toMatch(/^sess_/);
    expect(payload.org_id).toMatch(/^org_/);
    expect(payload.org_role).toBe("org:admin");
    expect(payload.exp! - payload.iat!).toBe(60);
    const claims = await verifyToken(jwt, { jwksUrl: `${baseURL}/.well-known/jwks.json`, issuer: baseURL, authorizedParties: [baseURL] });
    expect(claims.org_id).toBe(payload.org_id);

    // The JWKS is public, cacheable for at most five minutes, and holds no private key material.
    const response = await fetch(`${baseURL}/.well-known/jwks.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("public, max-age=300");
    const text = await response.text();
    expect(text).not.toMatch(/"(d|p|q|dp|dq|qi|k)"/);
    expect((JSON.parse(text) as { keys: { kid: string }[] }).keys.map((k) => k.kid)).toContain(decodeProtectedHeader(jwt).kid);

    // Signed out, there is no token.
    const anonymous = await fetch(`${baseURL}/api/trpc/token.get`);
    expect(anonymous.status).toBe(401);
  });
});
