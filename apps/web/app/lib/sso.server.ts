/**
 * oauth: enterprise SSO routing. The sign-in action asks `ssoRedirect` first: an address whose domain is a verified
 * domain of an organization with an enabled connection goes to /sign-in/sso, which starts the flow at that IdP.
 * A document redirect, because the next page sends the browser to another site.
 */
import { redirectDocument } from "@remix-run/node";
import { findSsoConnectionForEmail } from "@latchkey/api";
import { getDb } from "./db.server";
import type { AuthArgs } from "./auth.server";

export async function ssoRedirect(_args: AuthArgs, email: string, redirectUrl: string): Promise<Response | null> {
  const address = email.trim().toLowerCase();
  if (!address.includes("@") || address.length > 320) return null;
  const connection = await findSsoConnectionForEmail((await getDb()).db, address);
  if (!connection) return null;
  const query = new URLSearchParams({ email: address });
  if (redirectUrl !== "/") query.set("redirect_url", redirectUrl);
  return redirectDocument(`/sign-in/sso?${query}`);
}
