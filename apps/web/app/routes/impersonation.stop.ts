/**
 * `POST /impersonation/stop`: the banner's "Stop viewing". Ends the impersonation session and returns the browser to
 * the admin's own session (then to the user's admin page), or to /sign-in when that session ended meanwhile. A GET, or
 * a POST outside an impersonation, just goes home.
 */
import { redirect, type ActionFunctionArgs } from "@remix-run/node";
import { getAuth, getAuthHeaders, getCaller } from "~/lib/auth.server";

export async function loader() {
  return redirect("/");
}

export async function action(args: ActionFunctionArgs) {
  const auth = await getAuth(args);
  if (!auth.userId) throw redirect("/sign-in", { headers: await getAuthHeaders(args) });
  const result = await (await getCaller(args)).impersonation.stop();
  const to = !result.stopped ? "/" : result.restored ? `/admin/users/${encodeURIComponent(result.userId)}` : "/sign-in";
  throw redirect(to, { headers: await getAuthHeaders(args) });
}
