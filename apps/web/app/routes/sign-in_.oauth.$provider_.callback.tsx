/**
 * oauth: where the provider sends the browser back. The loader finishes the flow (oauth-flow.ts) and redirects: to the
 * safe `redirect_url`, to /sign-in/factor-two when a second factor is needed, or to the error page. Apple posts its
 * answer (response_mode=form_post); the action turns that POST into this GET, where the SameSite=Lax state cookie is sent.
 */
import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { ApiError, finishOAuth } from "@latchkey/api";
import { getAuthHeaders, getRequestContext } from "~/lib/auth.server";
import { getOAuthProviders } from "~/lib/oauth.server";
import { readFormData } from "~/lib/form-data.server";

export async function loader(args: LoaderFunctionArgs) {
  const url = new URL(args.request.url);
  const ctx = await getRequestContext(args);
  let location: string;
  try {
    const outcome = await finishOAuth(ctx, getOAuthProviders(), {
      provider: args.params.provider ?? "",
      params: url.searchParams,
      cookieHeader: args.request.headers.get("cookie"),
    });
    if (outcome.status === "needs_second_factor") {
      location = `/sign-in/factor-two?redirect_url=${encodeURIComponent(outcome.redirectUrl)}`;
    } else if (outcome.status === "linked") {
      location = `${outcome.redirectUrl}${outcome.redirectUrl.includes("?") ? "&" : "?"}done=linked`;
    } else {
      location = outcome.redirectUrl;
    }
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    const auth = await ctx.getAuth();
    const back = auth ? "/user/connected-accounts" : "/sign-in";
    location = `/sign-in/oauth/error?reason=${encodeURIComponent(error.reason)}&back=${encodeURIComponent(back)}`;
  }
  throw redirect(location, { headers: await getAuthHeaders(args) });
}

export async function action(args: ActionFunctionArgs) {
  const form = await readFormData(args.request);
  const query = new URLSearchParams();
  for (const key of ["code", "state", "error"]) {
    const value = form.get(key);
    if (typeof value === "string") query.set(key, value.slice(0, 4096));
  }
  // Apple's first sign-in only: the person's name (JSON), kept for the new account.
  const user = form.get("user");
  if (typeof user === "string" && user.length <= 2048) query.set("user", user);
  throw redirect(`${new URL(args.request.url).pathname}?${query}`, { status: 303 });
}
