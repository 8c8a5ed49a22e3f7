/**
 * oauth: starts an OAuth / OpenID sign-in (or, with intent=link and a session, connecting an account): POST only,
 * from the buttons' forms. Sets the state cookie and sends the browser on to the provider.
 */
import { redirect, type ActionFunctionArgs } from "@remix-run/node";
import { ApiError, startOAuth } from "@latchkey/api";
import { getAuthHeaders, getRequestContext } from "~/lib/auth.server";
import { continueToProvider, getOAuthProviders } from "~/lib/oauth.server";
import { readFormData } from "~/lib/form-data.server";

export function loader() {
  return redirect("/sign-in");
}

export async function action(args: ActionFunctionArgs) {
  const form = await readFormData(args.request);
  const provider = args.params.provider ?? "";
  const intent = form.get("intent") === "link" ? "link" : "sign_in";
  const ctx = await getRequestContext(args);
  try {
    const providers = getOAuthProviders();
    const { url } = await startOAuth(ctx, providers, { provider, intent, redirectUrl: String(form.get("redirect_url") ?? "") });
    const label = providers.find((p) => p.id === provider)?.label ?? provider;
    return continueToProvider(args.request, url, label, await getAuthHeaders(args));
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    const back = intent === "link" ? "/user/connected-accounts" : "/sign-in";
    throw redirect(`/sign-in/oauth/error?reason=${encodeURIComponent(error.reason)}&back=${encodeURIComponent(back)}`, { headers: await getAuthHeaders(args) });
  }
}
