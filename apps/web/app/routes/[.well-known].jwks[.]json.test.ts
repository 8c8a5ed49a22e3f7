/** The JWKS route and the server-side getToken helper against a real (in-memory) database. */
import { describe, expect, test } from "vitest";
import { verifyToken } from "@latchkey/auth/verify-token";
import { getToken } from "~/lib/auth.server";
import { APP_URL, createRouteHarness } from "~/test/route-harness";

const harness = createRouteHarness();

describe("/.well-known/jwks.json", { timeout: 30_000 }, () => {
  test("publishes the public key only, cacheable for five minutes, and verifies the token a loader gets with getToken", async () => {
    const { loader } = await import("./[.well-known].jwks[.]json");
    const response = await loader();
    expect(response.status).toBe(200);
    expect(response.headers.get("Cache-Control")).toBe("public, max-age=300");
    const jwks = (await response.json()) as { keys: Record<string, string>[] };
    expect(jwks.keys).toHaveLength(1);
    expect(Object.keys(jwks.keys[0]!).sort()).toEqual(["alg", "crv", "kid", "kty", "use", "x"]);

    const { token } = await harness.signUp("jwks");
    const request = new Request(`${APP_URL}/`, { headers: { cookie: `latchkey_session=${token}` } });
    const jwt = await getToken({ request, context: {} });
    expect(jwt).not.toBeNull();
    const claims = await verifyToken(jwt!, { key: jwks, issuer: APP_URL, authorizedParties: [APP_URL] });
    expect(claims.sub).toMatch(/^user_/);

    expect(await getToken({ request: new Request(`${APP_URL}/`), context: {} })).toBeNull();
  });
});
