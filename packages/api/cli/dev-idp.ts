/**
 * `npm run dev:idp`: a local OpenID provider (oidc-provider) and a local SAML 2.0 IdP for clicking through OAuth and
 * enterprise SSO with no internet. Any login is accepted (no password check) and its address comes back verified; see
 * test/idp.ts and test/saml-idp.ts for the rules.
 *
 *   npm run dev:idp                                   OpenID on 127.0.0.1:4010, SAML on :4011, app on http://localhost:3000
 *   npm run dev:idp -- --port 4012 --saml-port 4013 --app-url http://127.0.0.1:5173
 */
import { parseArgs } from "node:util";
import { startIdp } from "../test/idp.ts";
import { startSamlIdp } from "../test/saml-idp.ts";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: process.env.IDP_PORT ?? "4010" },
    "app-url": { type: "string", default: process.env.APP_URL ?? "http://localhost:3000" },
    "client-id": { type: "string", default: "latchkey-dev" },
    "client-secret": { type: "string", default: "latchkey-dev-secret-not-for-production" },
    "saml-port": { type: "string" },
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

// saml: a fresh signing key each start, so paste the metadata URL again (or save the connection again) after a restart.
const saml = await startSamlIdp({ port: Number(values["saml-port"] ?? Number(values.port) + 1) });

console.log(`Development OpenID provider on ${idp.issuer} (any login works; its address comes back verified)

Set these for the app, then restart it:
  OAUTH_OIDC_ISSUER=${idp.issuer}
  OAUTH_OIDC_CLIENT_ID=${idp.clientId}
  OAUTH_OIDC_CLIENT_SECRET=${idp.clientSecret}
  OAUTH_OIDC_NAME="Dev IdP"

For enterprise SSO, on /org/<slug>/sso enter the same issuer, client id and secret.

Development SAML IdP on ${saml.origin} (any address works; it signs each answer with a key made at start)
For SAML SSO, on /org/<slug>/sso paste this IdP metadata URL and save:
  SAML metadata URL: ${saml.metadataUrl}
Then sign in with an address at one of the organization's verified domains.
Ready.`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void Promise.all([idp.stop(), saml.stop()]).finally(() => process.exit(0)));
}
