/** Sign-out is a POST (a link or a prefetch must never sign anyone out); a GET just goes home. */
import { redirect, type ActionFunctionArgs } from "@remix-run/node";
import { getAuth, getAuthHeaders, getCaller } from "~/lib/auth.server";

export async function loader() {
  return redirect("/");
}

export async function action(args: ActionFunctionArgs) {
  const auth = await getAuth(args);
  const result = auth.userId ? await (await getCaller(args)).auth.signOut() : null;
  // impersonation: signing out of an impersonation ends it; the admin is back in their own session.
  if (result?.impersonation?.restored) {
    throw redirect(`/admin/users/${encodeURIComponent(result.impersonation.userId)}`, { headers: await getAuthHeaders(args) });
  }
  throw redirect("/sign-in", { headers: await getAuthHeaders(args) });
}
