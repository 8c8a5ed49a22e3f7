/**
 * GET /.well-known/jwks.json: the public keys session JWTs are signed with — the active key and every retired key
 * still inside its publication window. Public members only (kty, crv/x or n/e, kid, alg, use); cacheable for five
 * minutes, readable cross-origin (no credentials) so any service or browser can verify a token.
 */
import { getJwks } from "@latchkey/api";
import { isDatabaseUnavailable } from "@latchkey/db";
import { getDb } from "~/lib/db.server";
import { getKeyring } from "~/lib/keyring.server";

export const JWKS_MAX_AGE_SECONDS = 300;

export async function loader() {
  try {
    const handle = await getDb();
    const jwks = await getJwks({ db: handle.db, keyring: getKeyring(), now: () => new Date(), ip: null, userAgent: null });
    return Response.json(jwks, {
      headers: {
        "Cache-Control": `public, max-age=${JWKS_MAX_AGE_SECONDS}`,
        "Access-Control-Allow-Origin": "*",
        "Content-Type": "application/jwk-set+json",
      },
    });
  } catch (error) {
    if (!isDatabaseUnavailable(error)) throw error;
    return new Response("Service unavailable", { status: 503, headers: { "Retry-After": "5", "Cache-Control": "no-store" } });
  }
}
