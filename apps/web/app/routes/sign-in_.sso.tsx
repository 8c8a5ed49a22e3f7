/**
 * oauth: starts enterprise SSO for the address in `?email=` (the sign-in action sends people here): finds the
 * organization's connection by the address's verified domain and sends the browser to its IdP with a login hint.
 * Addresses without SSO go back to /sign-in.
 */
import { redirect, type LoaderFunctionArgs } from "@remix-run/node";
import { ApiError, findSsoConnectionForEmail, startOAuth, startSaml } from "@latchkey/api";
import { getAuthHeaders, getRequestContext } from "~/lib/auth.server";
import { continueToProvider, getOAuthProviders } from "~/lib/oauth.server";

export async function loader(args: LoaderFunctionArgs) {
  const url = new URL(args.request.url);
  const email = (url.searchParams.get("email") ?? "").trim().toLowerCase().slice(0, 320);
  const ctx = await getRequestContext(args);
  const connection = email.includes("@") ? await findSsoConnectionForEmail(ctx.db, email) : null;
  if (!connection) throw redirect("/sign-in");
  try {
    const redirectUrl = url.searchParams.get("redirect_url");
    // saml: a SAML connection (id `saml_…`) sends an AuthnRequest instead of an OpenID authorization.
    const { url: target } = connection.connectionId.startsWith("saml_")
      ? await startSaml(ctx, { connectionId: connection.connectionId, redirectUrl, loginHint: email })
      : await startOAuth(ctx, getOAuthProviders(), {
          provider: connection.connectionId,
          intent: "sign_in",
          redirectUrl,
          loginHint: email,
        });
    return continueToProvider(args.request, target, "SSO", await getAuthHeaders(args));
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    throw redirect(`/sign-in/oauth/error?reason=${encodeURIComponent(error.reason)}`, { headers: await getAuthHeaders(args) });
  }
}
