/**
 * `npm run dev:idp`: a local OpenID provider (oidc-provider) for clicking through OAuth with no internet. Any login is
 * accepted (no password check) and its address comes back verified; see test/idp.ts for the rules.
 *
 *   npm run dev:idp                                   127.0.0.1:4010, for an app on http://localhost:3000
 *   npm run dev:idp -- --port 4011 --app-url http://127.0.0.1:5173
 */
import { parseArgs } from "node:util";
import { startIdp } from "../test/idp.ts";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: process.env.IDP_PORT ?? "4010" },
    "app-url": { type: "string", default: process.env.APP_URL ?? "http://localhost:3000" },
    "client-id": { type: "string", default: "latchkey-dev" },
    "client-secret": { type: "string", default: "latchkey-dev-secret-not-for-production" },
  },
});

const appUrl = values["app-url"].replace(/\/+$/, "");
const idp = await startIdp({
  port: Number(values.port),
  clientId: values["client-id"],
  clientSecret: values["client-secret"],
  // The generic provider and every organization's SSO connection share this IdP's one client.
  redirectUris: [`${appUrl}/sign-in/oauth/oidc/callback`, `${appUrl}/sign-in/oauth/sso/callback`],
});

console.log(`Development OpenID provider on ${idp.issuer} (any login works; its address comes back verified)

Set these for the app, then restart it:
  OAUTH_OIDC_ISSUER=${idp.issuer}
  OAUTH_OIDC_CLIENT_ID=${idp.clientId}
  OAUTH_OIDC_CLIENT_SECRET=${idp.clientSecret}
  OAUTH_OIDC_NAME="Dev IdP"

For enterprise SSO, on /org/<slug>/sso enter the same issuer, client id and secret.
Ready.`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void idp.stop().finally(() => process.exit(0)));
}
