/**
 * A real OpenID provider (`oidc-provider`) on 127.0.0.1 for tests, the e2e suite and `npm run dev:idp`.
 *
 * The login screen accepts any login and no password check; the login becomes the subject, and the address is the
 * login when it contains "@" (else `<login>@example.test`). `sub|address` sets both. Addresses starting with
 * "unverified" come back with `email_verified: false`.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import Provider from "oidc-provider";

export interface TestIdp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  stop: () => Promise<void>;
}

export interface IdpOptions {
  port?: number;
  host?: string;
  /** Where the IdP may send the browser back to (exact match). */
  redirectUris: string[];
  clientId?: string;
  clientSecret?: string;
}

function claimsFor(login: string) {
  const [sub, rawEmail] = login.includes("|") ? login.split("|", 2) : [login, login];
  const email = (rawEmail!.includes("@") ? rawEmail! : `${rawEmail}@example.test`).toLowerCase();
  const local = email.split("@")[0]!.replace(/^unverified[-.]?/, "");
  return {
    sub: sub!,
    email,
    email_verified: !email.startsWith("unverified"),
    given_name: local.charAt(0).toUpperCase() + local.slice(1),
    family_name: "Tester",
    preferred_username: local,
  };
}

export async function startIdp(options: IdpOptions): Promise<TestIdp> {
  const host = options.host ?? "127.0.0.1";
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, host, resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `http://${host}:${port}`;
  const clientId = options.clientId ?? "latchkey-test";
  const clientSecret = options.clientSecret ?? "latchkey-test-secret-0123456789abcdef";
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: options.redirectUris,
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    async findAccount(_ctx, id) {
      return { accountId: id, claims: async () => claimsFor(id) };
    },
    claims: {
      openid: ["sub"],
      email: ["email", "email_verified"],
      profile: ["given_name", "family_name", "preferred_username"],
    },
    // The ID token carries the claims, as most providers' do.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: true } },
    pkce: { required: () => true },
    ttl: { Interaction: 3600, Session: 86_400, Grant: 86_400, AccessToken: 3600, IdToken: 3600, AuthorizationCode: 60 },
    cookies: { keys: ["latchkey-dev-idp-cookie-key-not-secret"] },
    // Keep the log quiet about what tests do on purpose.
    renderError(ctx, out) {
      ctx.type = "html";
      ctx.body = `<!doctype html><title>IdP error</title><p>${String(out.error)}</p>`;
    },
  });
  provider.proxy = false;
  server.on("request", provider.callback());
  return {
    issuer,
    clientId,
    clientSecret,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Plays the browser at the IdP: follows the authorization URL, submits the login form with `login` and the consent
 * form, and returns the URL the IdP finally redirects to (our callback with `code` and `state`). Cookies are kept
 * per call, as a browser would.
 */
export async function authorizeAtIdp(authorizationUrl: string, login: string): Promise<URL> {
  const jar = new Map<string, string>();
  const origin = new URL(authorizationUrl).origin;
  let url = authorizationUrl;
  let body: URLSearchParams | null = null;
  for (let step = 0; step < 20; step++) {
    const response: Response = await fetch(url, {
      method: body ? "POST" : "GET",
      redirect: "manual",
      headers: {
        cookie: [...jar].map(([k, v]) => `${k}=${v}`).join("; "),
        ...(body ? { "content-type": "application/x-www-form-urlencoded" } : {}),
      },
      ...(body ? { body } : {}),
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(";");
      const index = pair!.indexOf("=");
      jar.set(pair!.slice(0, index), pair!.slice(index + 1));
    }
    body = null;
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      const next = new URL(location, url);
      if (next.origin !== origin) return next;
      url = next.toString();
      continue;
    }
    const html: string = await response.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    if (!action) throw new Error(`the IdP answered ${response.status} without a form: ${html.slice(0, 300)}`);
    url = new URL(action.replace(/&amp;/g, "&"), url).toString();
    body = html.includes('name="login"')
      ? new URLSearchParams({ prompt: "login", login, password: "any" })
      : new URLSearchParams({ prompt: "consent" });
  }
  throw new Error("the IdP never sent the browser back");
}
