/** Sign-out is a POST (a link or a prefetch must never sign anyone out); a GET just goes home. */
import { redirect, type ActionFunctionArgs } from "@remix-run/node";
import { getAuth, getAuthHeaders, getCaller } from "~/lib/auth.server";

export async function loader() {
  return redirect("/");
}

export async function action(args: ActionFunctionArgs) {
  const auth = await getAuth(args);
  if (auth.userId) await (await getCaller(args)).auth.signOut();
  throw redirect("/sign-in", { headers: await getAuthHeaders(args) });
}
