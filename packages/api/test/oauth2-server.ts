/**
 * A stand-in plain OAuth 2.0 provider (no OpenID) on 127.0.0.1 for the custom-provider tests: `/authorize` answers at
 * once for the user the test set, `/token` checks the client's Basic credentials, the code, the redirect URI and (when
 * a challenge was sent) the PKCE verifier, and `/userinfo` returns a nested profile that needs a mapping to read.
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface StandInUser {
  uid: number;
  mail: string;
  confirmed: boolean;
  given?: string;
  family?: string;
}

interface Grant {
  user: StandInUser;
  redirectUri: string;
  challenge: string | null;
}

export interface StandInOAuthServer {
  origin: string;
  clientId: string;
  clientSecret: string;
  /** The user the next authorization signs in as. */
  setUser: (user: StandInUser) => void;
  /** What the last authorization request carried (to check PKCE and scopes). */
  lastAuthorization: () => URLSearchParams | null;
  /** True when the access token is one the stand-in issued (and it answers /userinfo). */
  knowsAccessToken: (token: string) => boolean;
  stop: () => Promise<void>;
}

export async function startStandInOAuthServer(): Promise<StandInOAuthServer> {
  const clientId = "custom-client";
  const clientSecret = "custom-secret-0123456789";
  const grants = new Map<string, Grant>();
  const tokens = new Map<string, StandInUser>();
  const refreshTokens = new Map<string, StandInUser>();
  let user: StandInUser | null = null;
  let last: URLSearchParams | null = null;
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const json = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (url.pathname === "/authorize") {
      last = url.searchParams;
      const redirectUri = url.searchParams.get("redirect_uri") ?? "";
      if (url.searchParams.get("client_id") !== clientId || !user) return json(400, { error: "invalid_request" });
      const code = randomBytes(16).toString("hex");
      grants.set(code, { user, redirectUri, challenge: url.searchParams.get("code_challenge") });
      const back = new URL(redirectUri);
      back.searchParams.set("code", code);
      back.searchParams.set("state", url.searchParams.get("state") ?? "");
      response.writeHead(302, { location: back.toString() });
      response.end();
      return;
    }
    if (url.pathname === "/token" && request.method === "POST") {
      let body = "";
      request.on("data", (chunk) => (body += chunk));
      request.on("end", () => {
        const form = new URLSearchParams(body);
        const basic = Buffer.from((request.headers.authorization ?? "").replace(/^Basic /, ""), "base64").toString();
        if (basic !== `${clientId}:${clientSecret}`) return json(401, { error: "invalid_client" });
        const issue = (who: StandInUser) => {
          const accessToken = randomBytes(16).toString("hex");
          const refreshToken = randomBytes(16).toString("hex");
          tokens.set(accessToken, who);
          refreshTokens.set(refreshToken, who);
          json(200, { access_token: accessToken, token_type: "bearer", expires_in: 3600, refresh_token: refreshToken });
        };
        if (form.get("grant_type") === "refresh_token") {
          // Rotating refresh tokens: each one works once.
          const who = refreshTokens.get(form.get("refresh_token") ?? "");
          refreshTokens.delete(form.get("refresh_token") ?? "");
          return who ? issue(who) : json(400, { error: "invalid_grant" });
        }
        const grant = grants.get(form.get("code") ?? "");
        grants.delete(form.get("code") ?? "");
        if (!grant || grant.redirectUri !== form.get("redirect_uri")) return json(400, { error: "invalid_grant" });
        if (grant.challenge) {
          const verifier = form.get("code_verifier") ?? "";
          if (createHash("sha256").update(verifier).digest("base64url") !== grant.challenge) return json(400, { error: "invalid_grant" });
        }
        issue(grant.user);
      });
      return;
    }
    if (url.pathname === "/userinfo") {
      const found = tokens.get((request.headers.authorization ?? "").replace(/^Bearer /, ""));
      if (!found) return json(401, { error: "invalid_token" });
      return json(200, { data: { uid: found.uid, contact: { mail: found.mail, confirmed: found.confirmed }, given: found.given ?? null, family: found.family ?? null } });
    }
    json(404, { error: "not_found" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    clientId,
    clientSecret,
    setUser: (next) => {
      user = next;
    },
    lastAuthorization: () => last,
    knowsAccessToken: (token) => tokens.has(token),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
